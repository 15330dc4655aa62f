#include "settingspage.h"

#include "consoleworker.h"
#include "servermonitor.h"

#include "model/shop.h"
#include "model/storedetails.h"

#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QTimeZone>
#include <QUrl>
#include <QVBoxLayout>

namespace Mercato {

namespace {
QLineEdit *edit(QWidget *parent, const QString &name, const QString &placeholder = {})
{
    auto *e = new QLineEdit(parent);
    e->setAccessibleName(name);
    e->setPlaceholderText(placeholder);
    return e;
}

// The logo as the console shows it: read from the local store (Cloudinary's is not fetched).
QImage logoThumbnail(Shop *shop, const QString &key)
{
    QImage image;
    auto *local = dynamic_cast<LocalImageStore *>(&shop->images());
    if (local && !key.isEmpty()) {
        const QString path = local->pathFor(key);
        if (!path.isEmpty())
            image.load(path);
    }
    if (!image.isNull())
        image = image.scaled(160, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return image;
}

struct Loaded
{
    Result<StoreDetails> details;
    ServerSettings server;
    QImage logo;
};
} // namespace

SettingsPage::SettingsPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Settings"), tr("Settings"), context, parent)
{
    auto *store = new QGroupBox(tr("Store"), this);
    auto *sf = new QFormLayout(store);
    m_name = edit(store, tr("Store name"));
    m_contact = edit(store, tr("Contact email"), tr("where customers can write to you"));
    m_description = new QPlainTextEdit(store);
    m_description->setAccessibleName(tr("Store description"));
    m_description->setMaximumHeight(70);
    m_currency = edit(store, tr("Currency"), QStringLiteral("USD"));
    m_timeZone = edit(store, tr("Time zone"), QStringLiteral("Europe/Paris"));
    sf->addRow(tr("&Name:"), m_name);
    sf->addRow(tr("C&ontact email:"), m_contact);
    sf->addRow(tr("&Description:"), m_description);
    m_logo = new QLabel(store);
    m_logo->setAccessibleName(tr("Store logo"));
    m_logo->setMinimumSize(64, 40);
    m_chooseLogo = new QPushButton(tr("C&hoose logo…"), store);
    m_chooseLogo->setAccessibleName(tr("Choose store logo"));
    m_removeLogo = new QPushButton(tr("&Remove logo"), store);
    m_removeLogo->setAccessibleName(tr("Remove store logo"));
    m_removeLogo->setEnabled(false);
    auto *logoRow = new QHBoxLayout;
    logoRow->addWidget(m_logo);
    logoRow->addWidget(m_chooseLogo);
    logoRow->addWidget(m_removeLogo);
    logoRow->addStretch(1);
    sf->addRow(tr("Store logo:"), logoRow);
    sf->addRow(tr("C&urrency:"), m_currency);
    sf->addRow(tr("&Time zone:"), m_timeZone);

    auto *server = new QGroupBox(tr("API server"), this);
    auto *vf = new QFormLayout(server);
    m_listen = edit(server, tr("Listen address"), QStringLiteral("127.0.0.1:8080"));
    m_publicUrl = edit(server, tr("Public URL"), QStringLiteral("https://shop.example.com"));
    m_cors = edit(server, tr("CORS origins"), tr("comma-separated, e.g. https://shop.example.com"));
    vf->addRow(tr("&Listen on:"), m_listen);
    vf->addRow(tr("&Public URL:"), m_publicUrl);
    vf->addRow(tr("&CORS origins:"), m_cors);
    auto *restart = new QLabel(tr("Currency, time zone and server settings take effect the next "
                                  "time Mercato starts."),
                               server);
    restart->setAccessibleName(tr("Restart note"));
    restart->setWordWrap(true);
    vf->addRow(restart);

    auto *secrets = new QGroupBox(tr("Keys and passwords"), this);
    auto *sl = new QVBoxLayout(secrets);
    auto *note
            = new QLabel(tr("Stripe keys, the Cloudinary URL and the SMTP password are not edited "
                            "here yet: the keychain store is not available in this build. Set "
                            "them with MERCATO_* environment variables or the keychain."),
                         secrets);
    note->setAccessibleName(tr("Secrets note"));
    note->setWordWrap(true);
    sl->addWidget(note);

    body()->addWidget(store);
    body()->addWidget(server);
    body()->addWidget(secrets);
    auto *buttons = new QHBoxLayout;
    m_save = new QPushButton(tr("&Save settings"), this);
    m_save->setAccessibleName(tr("Save settings"));
    buttons->addStretch(1);
    buttons->addWidget(m_save);
    body()->addLayout(buttons);
    body()->addStretch(1);
    connect(m_save, &QPushButton::clicked, this, &SettingsPage::save);
    connect(m_chooseLogo, &QPushButton::clicked, this, &SettingsPage::chooseLogo);
    connect(m_removeLogo, &QPushButton::clicked, this, &SettingsPage::removeLogo);
    showLogo({}, false);
}

void SettingsPage::showLogo(const QImage &image, bool hasLogo)
{
    if (!image.isNull())
        m_logo->setPixmap(QPixmap::fromImage(image));
    else
        m_logo->setText(hasLogo ? tr("(logo set)") : tr("No logo"));
    m_logo->setAccessibleDescription(hasLogo ? tr("The store has a logo")
                                             : tr("The store has no logo"));
    m_removeLogo->setEnabled(hasLogo);
}

void SettingsPage::chooseLogo()
{
    // A fresh dialog each time, in the folder used last.
    QString folder;
    if (m_logoDialog) {
        folder = m_logoDialog->directory().absolutePath();
        delete m_logoDialog;
    }
    m_logoDialog = new QFileDialog(this, tr("Choose the store's logo"), folder);
    m_logoDialog->setAccessibleName(tr("Choose logo"));
    m_logoDialog->setFileMode(QFileDialog::ExistingFile);
    m_logoDialog->setNameFilter(tr("Images (*.png *.jpg *.jpeg *.webp)"));
    connect(m_logoDialog, &QFileDialog::fileSelected, this, &SettingsPage::uploadLogo);
    m_logoDialog->open();
}

void SettingsPage::uploadLogo(const QString &path)
{
    if (path.isEmpty())
        return;
    m_chooseLogo->setEnabled(false);
    showMessage(tr("Uploading the logo…"));
    Shop *shop = &ctx().shop;
    using Uploaded = QPair<Result<QString>, QImage>;
    ctx().worker.run(
            this,
            [shop, path]() -> Uploaded {
                QFile file(path);
                if (!file.open(QIODevice::ReadOnly))
                    return {makeError(ErrorCode::BadRequest,
                                      tr("Cannot read %1: %2").arg(path, file.errorString())),
                            {}};
                if (file.size() > 8 * 1024 * 1024)
                    return {makeError(ErrorCode::BadRequest, tr("The logo is larger than 8 MB.")),
                            {}};
                auto url = setStoreLogo(shop->database(), shop->images(), file.readAll());
                if (!url)
                    return {url, {}};
                auto details = loadStoreDetails(shop->database());
                return {url, details ? logoThumbnail(shop, details->logoKey) : QImage()};
            },
            [this](const Uploaded &done) {
                m_chooseLogo->setEnabled(true);
                if (!done.first) {
                    const Error &e = done.first.error();
                    showMessage(e.code == ErrorCode::UnsupportedMediaType || !e.fields.isEmpty()
                                        ? tr("That file is not a picture Mercato can use (%1).")
                                                  .arg(describeError(e))
                                        : describeError(e),
                                true);
                    return;
                }
                showLogo(done.second, true);
                showMessage(tr("Store logo saved."));
            });
}

void SettingsPage::removeLogo()
{
    m_removeLogo->setEnabled(false);
    Shop *shop = &ctx().shop;
    ctx().worker.run(
            this, [shop]() -> Status { return clearStoreLogo(shop->database(), shop->images()); },
            [this](const Status &s) {
                if (!s) {
                    m_removeLogo->setEnabled(true);
                    showError(s.error());
                    return;
                }
                showLogo({}, false);
                showMessage(tr("Store logo removed."));
            });
}

void SettingsPage::refresh()
{
    Shop *shop = &ctx().shop;
    ServerMonitor *monitor = ctx().monitor;
    ctx().worker.run(
            this,
            [shop, monitor]() -> Loaded {
                Loaded out{loadStoreDetails(shop->database()),
                           monitor ? monitor->settings() : ServerSettings{},
                           {}};
                if (out.details)
                    out.logo = logoThumbnail(shop, out.details->logoKey);
                return out;
            },
            [this](const Loaded &loaded) {
                if (!loaded.details) {
                    showError(loaded.details.error());
                } else {
                    m_name->setText(loaded.details->name);
                    m_contact->setText(loaded.details->contactEmail);
                    m_description->setPlainText(loaded.details->description);
                    showLogo(loaded.logo, !loaded.details->logoUrl.isEmpty());
                }
                const ServerSettings &s = loaded.server;
                m_currency->setText(s.currency);
                m_timeZone->setText(s.timeZone);
                m_listen->setText(s.listen);
                m_publicUrl->setText(s.publicUrl);
                m_cors->setText(s.corsOrigins.join(QStringLiteral(", ")));
            });
}

void SettingsPage::save()
{
    StoreDetails details;
    details.name = m_name->text();
    details.contactEmail = m_contact->text();
    details.description = m_description->toPlainText();
    ServerSettings server;
    server.currency = m_currency->text().trimmed().toUpper();
    server.timeZone = m_timeZone->text().trimmed();
    server.listen = m_listen->text().trimmed();
    server.publicUrl = m_publicUrl->text().trimmed();
    const QStringList origins = m_cors->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &o : origins)
        server.corsOrigins.append(o.trimmed());

    QStringList problems;
    if (details.name.trimmed().isEmpty())
        problems << tr("Store name: enter the store's name.");
    if (server.currency.size() != 3)
        problems << tr("Currency: a three-letter code such as USD.");
    if (!server.timeZone.isEmpty() && !QTimeZone(server.timeZone.toUtf8()).isValid())
        problems << tr("Time zone: not a known zone (for example Europe/Paris).");
    if (!server.listen.contains(QLatin1Char(':')))
        problems << tr("Listen address: address:port, for example 127.0.0.1:8080.");
    if (!server.publicUrl.isEmpty()) {
        const QUrl url(server.publicUrl);
        if (!url.isValid()
            || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
            problems << tr("Public URL: an http:// or https:// address.");
    }
    if (!problems.isEmpty()) {
        showMessage(problems.join(QLatin1Char('\n')), true);
        return;
    }
    m_save->setEnabled(false);
    Shop *shop = &ctx().shop;
    ServerMonitor *monitor = ctx().monitor;
    ctx().worker.run(
            this,
            [shop, monitor, details, server]() -> Status {
                if (auto s = saveStoreDetails(shop->database(), details); !s)
                    return s;
                if (monitor)
                    return monitor->saveSettings(server);
                return Ok{};
            },
            [this](const Status &s) {
                m_save->setEnabled(true);
                if (!s)
                    showError(s.error());
                else
                    showMessage(tr("Settings saved."));
            });
}

} // namespace Mercato
