#include "settingspage.h"

#include "consoleworker.h"
#include "servermonitor.h"

#include "model/shop.h"
#include "model/storedetails.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
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
}

void SettingsPage::refresh()
{
    Shop *shop = &ctx().shop;
    ServerMonitor *monitor = ctx().monitor;
    using Loaded = QPair<Result<StoreDetails>, ServerSettings>;
    ctx().worker.run(
            this,
            [shop, monitor]() -> Loaded {
                return {loadStoreDetails(shop->database()),
                        monitor ? monitor->settings() : ServerSettings{}};
            },
            [this](const Loaded &loaded) {
                if (!loaded.first) {
                    showError(loaded.first.error());
                } else {
                    m_name->setText(loaded.first->name);
                    m_contact->setText(loaded.first->contactEmail);
                    m_description->setPlainText(loaded.first->description);
                }
                const ServerSettings &s = loaded.second;
                m_currency->setText(s.currency);
                m_timeZone->setText(s.timeZone);
                m_listen->setText(s.listen);
                m_publicUrl->setText(s.publicUrl);
                m_cors->setText(s.corsOrigins.join(QStringLiteral(", ")));
            });
}

void SettingsPage::save()
{
    StoreDetails details{m_name->text(), m_contact->text(), m_description->toPlainText()};
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
