#include "settingspage.h"

#include "consoleworker.h"
#include "rowsmodel.h"
#include "servermonitor.h"

#include "model/cloudinaryimagestore.h"
#include "model/secretstore.h"
#include "model/shop.h"
#include "model/smtpmailer.h"
#include "model/storedetails.h"
#include "model/storeowner.h"
#include "model/storeprofile.h"
#include "model/tlsfiles.h"

#include <QtConcurrent/QtConcurrentRun>

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QTableView>
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

// A row whose field is a layout gets no buddy from QFormLayout, and its label would show the "&"
// of its shortcut: the layout's first widget becomes the buddy.
void buddyUp(QFormLayout *form)
{
    for (int row = 0; row < form->rowCount(); ++row) {
        QLayoutItem *label = form->itemAt(row, QFormLayout::LabelRole);
        QLayoutItem *field = form->itemAt(row, QFormLayout::FieldRole);
        auto *text = label ? qobject_cast<QLabel *>(label->widget()) : nullptr;
        if (!text || text->buddy() || !field || !field->layout())
            continue;
        QLayout *l = field->layout();
        for (int i = 0; i < l->count(); ++i) {
            if (QWidget *w = l->itemAt(i)->widget(); w && (w->focusPolicy() & Qt::TabFocus)) {
                text->setBuddy(w);
                break;
            }
        }
    }
}

// The labels of the owner's fields, by the services' field names.
const QHash<QString, QString> &ownerLabels()
{
    static const QHash<QString, QString> labels{
            {QStringLiteral("address"), QObject::tr("Address")},
            {QStringLiteral("address.name"), QObject::tr("Address name")},
            {QStringLiteral("address.line1"), QObject::tr("Address line 1")},
            {QStringLiteral("address.line2"), QObject::tr("Address line 2")},
            {QStringLiteral("address.city"), QObject::tr("City")},
            {QStringLiteral("address.region"), QObject::tr("Region")},
            {QStringLiteral("address.postalCode"), QObject::tr("Postal code")},
            {QStringLiteral("address.country"), QObject::tr("Country")},
            {QStringLiteral("taxId"), QObject::tr("Tax ID")},
            {QStringLiteral("paymentInstructions"), QObject::tr("Payment instructions")},
            {QStringLiteral("name"), QObject::tr("Name")},
            {QStringLiteral("priceCents"), QObject::tr("Price")},
            {QStringLiteral("freeOverCents"), QObject::tr("Free over")},
            {QStringLiteral("countries"), QObject::tr("Ships to")},
            {QStringLiteral("estimatedDays"), QObject::tr("Estimated days")}};
    return labels;
}

// Only the store's owner changes store-wide things (as the API's /owner routes answer 403).
Status requireOwner(Shop *shop, const QString &sellerId)
{
    auto owner = StoreOwner::isOwner(shop->database().connection(), sellerId);
    if (!owner)
        return owner.error();
    if (!owner.value())
        return makeError(ErrorCode::Forbidden, QObject::tr("Only the store's owner changes this."));
    return Ok{};
}

struct OwnerSettings
{
    Result<bool> owner = false;
    Result<StoreProfile> profile = StoreProfile{};
    Result<QList<ShippingOption>> options = QList<ShippingOption>{};
    Result<QString> currency = QString();
    Result<TaxRateTable> tax = TaxRateTable{};
};

// A rate in thousandths of a percent as the owner types it: "7.7", "20", "5.5".
QString rateText(qint64 milli)
{
    QString text = QString::number(milli / 1000);
    if (const qint64 fraction = milli % 1000) {
        QString digits = QStringLiteral("%1").arg(fraction, 3, 10, QLatin1Char('0'));
        while (digits.endsWith(QLatin1Char('0')))
            digits.chop(1);
        text += QLatin1Char('.') + digits;
    }
    return text;
}

// A rate typed by the owner as JSON: a number when it reads as one ("7,7" too), else the text
// (which the service refuses, naming the field).
QJsonValue rateJson(const QString &typed)
{
    QString text = typed.trimmed();
    text.replace(QLatin1Char(','), QLatin1Char('.'));
    bool ok = false;
    const double v = QLocale::c().toDouble(text, &ok);
    return ok ? QJsonValue(v) : QJsonValue(typed.trimmed());
}

// The labels of the tax fields: the default, and each row by its country.
QHash<QString, QString> taxLabels(const QList<QPair<QString, QString>> &rows)
{
    QHash<QString, QString> labels{
            {QStringLiteral("defaultRatePercent"), QObject::tr("Default tax rate")},
            {QStringLiteral("rates"), QObject::tr("Tax rates")},
            {QStringLiteral("invoicePrefix"), QObject::tr("Invoice prefix")},
            {QStringLiteral("creditNotePrefix"), QObject::tr("Credit-note prefix")}};
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const QString country
                = rows.at(i).first.isEmpty() ? QObject::tr("(none)") : rows.at(i).first;
        labels.insert(QStringLiteral("rates[%1].country").arg(i),
                      QObject::tr("Tax rate row %1, country %2").arg(i + 1).arg(country));
        labels.insert(QStringLiteral("rates[%1].ratePercent").arg(i),
                      QObject::tr("Tax rate for %1").arg(country));
    }
    return labels;
}

constexpr int kHttpTestTimeoutMs = 20000;
constexpr int kSmtpTestTimeoutMs = 15000;

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
    m_description->setTabChangesFocus(true);
    m_description->setMaximumHeight(70);
    m_currency = edit(store, tr("Currency"), QStringLiteral("USD"));
    m_timeZone = edit(store, tr("Time zone"), QStringLiteral("Europe/Paris"));
    sf->addRow(tr("Na&me:"), m_name);
    sf->addRow(tr("C&ontact email:"), m_contact);
    sf->addRow(tr("Description:"), m_description);
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

    // The owner's: the address and papers, then the shipping options.
    m_ownerNote = new QLabel(tr("The store's address, tax id, payment instructions and shipping "
                                "options are kept by the store's owner."),
                             this);
    m_ownerNote->setAccessibleName(tr("Owner settings note"));
    m_ownerNote->setWordWrap(true);
    m_ownerStore = new QGroupBox(tr("Address, tax id and payment"), this);
    auto *of = new QFormLayout(m_ownerStore);
    const QStringList addressNames{tr("Address name"), tr("Address line 1"), tr("Address line 2"),
                                   tr("City"),         tr("Region"),         tr("Postal code"),
                                   tr("Country")};
    for (const QString &name : addressNames)
        m_address.append(edit(m_ownerStore, name));
    m_address.at(0)->setPlaceholderText(tr("the name on invoices, e.g. Tea Corner Ltd"));
    m_address.at(2)->setPlaceholderText(tr("optional"));
    m_address.at(4)->setPlaceholderText(tr("optional"));
    m_address.at(6)->setPlaceholderText(tr("two letters, e.g. FR"));
    m_address.at(6)->setMaxLength(2);
    of->addRow(tr("Legal name:"), m_address.at(0));
    of->addRow(tr("Line &1:"), m_address.at(1));
    of->addRow(tr("Line &2:"), m_address.at(2));
    auto *cityRow = new QHBoxLayout;
    cityRow->addWidget(m_address.at(3), 2);
    auto *postalLabel = new QLabel(tr("Postal code:"), m_ownerStore);
    postalLabel->setAccessibleName(tr("Postal code label"));
    cityRow->addWidget(postalLabel);
    cityRow->addWidget(m_address.at(5), 1);
    of->addRow(tr("City:"), cityRow);
    auto *regionRow = new QHBoxLayout;
    regionRow->addWidget(m_address.at(4), 2);
    auto *countryLabel = new QLabel(tr("Country:"), m_ownerStore);
    countryLabel->setAccessibleName(tr("Country label"));
    regionRow->addWidget(countryLabel);
    regionRow->addWidget(m_address.at(6), 1);
    of->addRow(tr("Region:"), regionRow);
    m_taxId = edit(m_ownerStore, tr("Tax ID"), tr("printed on invoices, e.g. FR12345678901"));
    of->addRow(tr("Tax i&d:"), m_taxId);
    m_paymentInstructions = new QPlainTextEdit(m_ownerStore);
    m_paymentInstructions->setAccessibleName(tr("Payment instructions"));
    m_paymentInstructions->setPlaceholderText(
            tr("Bank details customers pay to when paying by transfer"));
    m_paymentInstructions->setTabChangesFocus(true);
    m_paymentInstructions->setMaximumHeight(60);
    of->addRow(tr("Payment instructions:"), m_paymentInstructions);
    m_saveProfile = new QPushButton(tr("Save address and payment"), m_ownerStore);
    m_saveProfile->setAccessibleName(tr("Save address and payment"));
    auto *profileButtons = new QHBoxLayout;
    profileButtons->addStretch(1);
    profileButtons->addWidget(m_saveProfile);
    of->addRow(profileButtons);

    m_shipping = new QGroupBox(tr("Shipping options"), this);
    auto *shl = new QVBoxLayout(m_shipping);
    m_optionModel = new RowsModel(
            {tr("Name"), tr("Price"), tr("Free over"), tr("Ships to"), tr("Days")}, this);
    m_optionProxy = new QSortFilterProxyModel(this);
    m_optionView = new QTableView(m_shipping);
    QWidget *optionTable = tableWithEmptyState(
            m_optionView, m_optionModel, m_optionProxy, tr("Shipping option list"),
            tr("No shipping options: orders are taken without shipping (pickups, downloads). Add "
               "one to ship parcels."));
    m_optionView->setTabKeyNavigation(false);
    optionTable->setMinimumHeight(120);
    optionTable->setMaximumHeight(170);
    shl->addWidget(optionTable);
    m_addOption = new QPushButton(tr("&Add option…"), m_shipping);
    m_addOption->setAccessibleName(tr("Add shipping option"));
    m_editOption = new QPushButton(tr("&Edit option…"), m_shipping);
    m_editOption->setAccessibleName(tr("Edit shipping option"));
    m_deleteOption = new QPushButton(tr("Delete option"), m_shipping);
    m_deleteOption->setAccessibleName(tr("Delete shipping option"));
    m_editOption->setEnabled(false);
    m_deleteOption->setEnabled(false);
    auto *optionButtons = new QHBoxLayout;
    optionButtons->addWidget(m_addOption);
    optionButtons->addWidget(m_editOption);
    optionButtons->addWidget(m_deleteOption);
    optionButtons->addStretch(1);
    shl->addLayout(optionButtons);
    connect(m_optionView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const bool selected = !selectedId(m_optionView).isEmpty();
        m_editOption->setEnabled(selected);
        m_deleteOption->setEnabled(selected);
    });
    connect(m_optionView, &QTableView::doubleClicked, this, [this] { editShippingOption(false); });
    connect(m_addOption, &QPushButton::clicked, this, [this] { editShippingOption(true); });
    connect(m_editOption, &QPushButton::clicked, this, [this] { editShippingOption(false); });
    connect(m_deleteOption, &QPushButton::clicked, this, &SettingsPage::deleteShippingOption);
    connect(m_saveProfile, &QPushButton::clicked, this, &SettingsPage::saveStoreProfile);

    m_tax = new QGroupBox(tr("Tax and invoices"), this);
    auto *txl = new QVBoxLayout(m_tax);
    auto *taxIntro = new QLabel(tr("Prices contain the tax. An order pays the rate of the country "
                                   "it ships to, else the default; rates have up to 3 decimals."),
                                m_tax);
    taxIntro->setAccessibleName(tr("About tax rates"));
    taxIntro->setWordWrap(true);
    txl->addWidget(taxIntro);
    auto *tf = new QFormLayout;
    m_defaultRate = edit(m_tax, tr("Default tax rate"), tr("percent, e.g. 20 or 7.7; empty: none"));
    tf->addRow(tr("De&fault rate (%):"), m_defaultRate);
    txl->addLayout(tf);
    m_taxModel = new RowsModel({tr("Country"), tr("Rate (%)")}, this);
    m_taxProxy = new QSortFilterProxyModel(this);
    m_taxView = new QTableView(m_tax);
    QWidget *taxTable
            = tableWithEmptyState(m_taxView, m_taxModel, m_taxProxy, tr("Tax rate list"),
                                  tr("No rate by country: every order pays the default rate."));
    m_taxView->setTabKeyNavigation(false);
    m_taxView->setColumnWidth(0, 120);
    taxTable->setMinimumHeight(110);
    taxTable->setMaximumHeight(150);
    txl->addWidget(taxTable);
    m_addRate = new QPushButton(tr("Add rate…"), m_tax);
    m_addRate->setAccessibleName(tr("Add tax rate"));
    m_editRate = new QPushButton(tr("Edit rate…"), m_tax);
    m_editRate->setAccessibleName(tr("Edit tax rate"));
    m_removeRate = new QPushButton(tr("Remove rate"), m_tax);
    m_removeRate->setAccessibleName(tr("Remove tax rate"));
    m_editRate->setEnabled(false);
    m_removeRate->setEnabled(false);
    auto *rateButtons = new QHBoxLayout;
    rateButtons->addWidget(m_addRate);
    rateButtons->addWidget(m_editRate);
    rateButtons->addWidget(m_removeRate);
    rateButtons->addStretch(1);
    txl->addLayout(rateButtons);
    auto *pf = new QFormLayout;
    m_invoicePrefix = edit(m_tax, tr("Invoice prefix"), QStringLiteral("INV-"));
    m_invoicePrefix->setToolTip(tr("Invoices are numbered prefix, year, number: INV-2026-1"));
    m_creditNotePrefix = edit(m_tax, tr("Credit-note prefix"), QStringLiteral("CN-"));
    m_creditNotePrefix->setToolTip(tr("Each refund's credit note is numbered the same way"));
    pf->addRow(tr("Invoice prefix:"), m_invoicePrefix);
    pf->addRow(tr("Credit-note prefix:"), m_creditNotePrefix);
    txl->addLayout(pf);
    m_saveTax = new QPushButton(tr("Save tax and invoices"), m_tax);
    m_saveTax->setAccessibleName(tr("Save tax and invoices"));
    auto *taxButtons = new QHBoxLayout;
    taxButtons->addStretch(1);
    taxButtons->addWidget(m_saveTax);
    txl->addLayout(taxButtons);
    connect(m_taxView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const bool selected = !selectedId(m_taxView).isEmpty();
        m_editRate->setEnabled(selected);
        m_removeRate->setEnabled(selected);
    });
    connect(m_taxView, &QTableView::doubleClicked, this, [this] { editTaxRate(false); });
    connect(m_addRate, &QPushButton::clicked, this, [this] { editTaxRate(true); });
    connect(m_editRate, &QPushButton::clicked, this, [this] { editTaxRate(false); });
    connect(m_removeRate, &QPushButton::clicked, this, &SettingsPage::removeTaxRate);
    connect(m_saveTax, &QPushButton::clicked, this, &SettingsPage::saveTaxAndInvoices);
    showOwnerSettings(false);

    auto *server = new QGroupBox(tr("API server"), this);
    auto *vf = new QFormLayout(server);
    m_listen = edit(server, tr("Listen address"), QStringLiteral("127.0.0.1:8080"));
    m_publicUrl = edit(server, tr("Public URL"), QStringLiteral("https://shop.example.com"));
    m_cors = edit(server, tr("CORS origins"), tr("comma-separated, e.g. https://shop.example.com"));
    vf->addRow(tr("&Listen on:"), m_listen);
    vf->addRow(tr("&Public URL:"), m_publicUrl);
    vf->addRow(tr("&CORS origins:"), m_cors);
    m_tlsCert = edit(server, tr("TLS certificate file"), tr("PEM certificate, for HTTPS"));
    m_tlsKey = edit(server, tr("TLS key file"), tr("its PEM private key"));
    auto *browseCert = new QPushButton(tr("Browse…"), server);
    browseCert->setAccessibleName(tr("Browse for TLS certificate"));
    auto *browseKey = new QPushButton(tr("Browse…"), server);
    browseKey->setAccessibleName(tr("Browse for TLS key"));
    // One row for both files: the page must still fit a 870-pixel-high window.
    auto *tlsRow = new QHBoxLayout;
    tlsRow->addWidget(m_tlsCert, 1);
    tlsRow->addWidget(browseCert);
    auto *keyLabel = new QLabel(tr("Key:"), server);
    keyLabel->setAccessibleName(tr("TLS key label"));
    tlsRow->addWidget(keyLabel);
    tlsRow->addWidget(m_tlsKey, 1);
    tlsRow->addWidget(browseKey);
    vf->addRow(tr("TLS certificate:"), tlsRow);
    connect(browseCert, &QPushButton::clicked, this,
            [this] { chooseTlsFile(m_tlsCert, tr("Choose the TLS certificate")); });
    connect(browseKey, &QPushButton::clicked, this,
            [this] { chooseTlsFile(m_tlsKey, tr("Choose the TLS key")); });
    auto *restart = new QLabel(tr("The currency and time zone apply as soon as you save; the "
                                  "server settings take effect the next time Mercato starts. With "
                                  "a TLS certificate and its key (both checked when you save), "
                                  "the API serves HTTPS only."),
                               server);
    restart->setAccessibleName(tr("Restart note"));
    restart->setWordWrap(true);
    vf->addRow(restart);

    auto *secrets = new QGroupBox(tr("Keys and passwords"), this);
    auto *kf = new QFormLayout(secrets);
    m_keychainState = new QLabel(secrets);
    m_keychainState->setTextFormat(Qt::PlainText);
    m_keychainState->setAccessibleName(tr("Keychain state"));
    m_keychainState->setWordWrap(true);
    kf->addRow(m_keychainState);
    auto secretEdit
            = [this, secrets](const QString &name, const QString &placeholder, bool masked) {
                  QLineEdit *e = edit(secrets, name, placeholder);
                  if (masked)
                      e->setEchoMode(QLineEdit::Password);
                  e->setEnabled(false);
                  m_secrets.append(e);
                  return e;
              };
    auto testButton = [this, secrets](const QString &accessibleName, Service service) {
        auto *b = new QPushButton(tr("Test connection"), secrets);
        b->setAccessibleName(accessibleName);
        connect(b, &QPushButton::clicked, this, [this, service] { testConnection(service); });
        m_testButtons.append(b);
        return b;
    };
    QList<QWidget *> keyOrder; // the rows' controls, in reading order
    auto row = [&keyOrder](QWidget *field, QWidget *button) {
        keyOrder << field;
        if (button)
            keyOrder << button;
        auto *h = new QHBoxLayout;
        h->addWidget(field, 1);
        if (button)
            h->addWidget(button);
        return h;
    };
    QLineEdit *stripeKey = secretEdit(tr("Stripe secret key"), QStringLiteral("sk_live_…"), true);
    kf->addRow(tr("Stripe secret &key:"),
               row(stripeKey, testButton(tr("Test Stripe connection"), Service::Stripe)));
    kf->addRow(tr("Stripe pu&blishable key:"),
               row(secretEdit(tr("Stripe publishable key"), QStringLiteral("pk_live_…"), false),
                   nullptr));
    kf->addRow(
            tr("Stripe &webhook secret:"),
            row(secretEdit(tr("Stripe webhook secret"), QStringLiteral("whsec_…"), true), nullptr));
    kf->addRow(tr("Cloud&inary URL:"),
               row(secretEdit(tr("Cloudinary URL"), QStringLiteral("cloudinary://KEY:SECRET@CLOUD"),
                              true),
                   testButton(tr("Test Cloudinary connection"), Service::Cloudinary)));
    kf->addRow(
            tr("SMTP URL:"),
            row(secretEdit(tr("SMTP URL"), QStringLiteral("smtps://user:password@host:465"), true),
                testButton(tr("Test SMTP connection"), Service::Smtp)));
    m_showSecrets = new QCheckBox(tr("Show ke&ys"), secrets);
    m_showSecrets->setAccessibleName(tr("Show keys"));
    m_saveSecrets = new QPushButton(tr("Sa&ve keys"), secrets);
    m_saveSecrets->setAccessibleName(tr("Save keys"));
    m_saveSecrets->setEnabled(false);
    auto *keyButtons = new QHBoxLayout;
    keyButtons->addWidget(m_showSecrets);
    keyButtons->addStretch(1);
    keyButtons->addWidget(m_saveSecrets);
    kf->addRow(keyButtons);
    m_testProgress = new QProgressBar(secrets);
    m_testProgress->setAccessibleName(tr("Connection test progress"));
    m_testProgress->setRange(0, 0); // busy: a test has no steps to count
    m_testProgress->setTextVisible(false);
    m_testProgress->hide();
    m_cancelTest = new QPushButton(tr("Cancel test"), secrets);
    m_cancelTest->setAccessibleName(tr("Cancel connection test"));
    m_cancelTest->hide();
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_testProgress, 1);
    testRow->addWidget(m_cancelTest);
    kf->addRow(testRow);
    m_testResult = new QLabel(secrets);
    m_testResult->setTextFormat(Qt::PlainText);
    m_testResult->setAccessibleName(tr("Connection test result"));
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    kf->addRow(m_testResult);
    auto *keysNote = new QLabel(tr("Keys are kept only in the operating system's keychain, never "
                                   "in a file or the database. Saved keys take effect the next "
                                   "time Mercato starts."),
                                secrets);
    keysNote->setAccessibleName(tr("Keys note"));
    keysNote->setWordWrap(true);
    kf->addRow(keysNote);
    connect(m_showSecrets, &QCheckBox::toggled, this, &SettingsPage::setSecretsVisible);
    connect(m_saveSecrets, &QPushButton::clicked, this, &SettingsPage::saveSecrets);
    connect(m_cancelTest, &QPushButton::clicked, this, &SettingsPage::cancelTest);
    m_test = new QFutureWatcher<ConnectionCheck>(this);
    connect(m_test, &QFutureWatcher<ConnectionCheck>::finished, this, &SettingsPage::testFinished);

    for (QFormLayout *form : {sf, of, tf, pf, vf, kf})
        buddyUp(form);
    // One scrolling column: the page is taller than a 700-pixel window.
    auto *scroll = new QScrollArea(this);
    scroll->setAccessibleName(tr("Settings area"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setFocusPolicy(Qt::NoFocus);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *content = new QWidget(scroll);
    content->setAccessibleName(tr("Settings content"));
    auto *column = new QVBoxLayout(content);
    column->setContentsMargins(0, 0, 8, 0);
    column->addWidget(store);
    column->addWidget(m_ownerNote);
    column->addWidget(m_ownerStore);
    column->addWidget(m_shipping);
    column->addWidget(m_tax);
    column->addWidget(server);
    column->addWidget(secrets);
    auto *buttons = new QHBoxLayout;
    m_save = new QPushButton(tr("Save setti&ngs"), content);
    m_save->setAccessibleName(tr("Save settings"));
    buttons->addStretch(1);
    buttons->addWidget(m_save);
    column->addLayout(buttons);
    column->addStretch(1);
    scroll->setWidget(content);
    body()->addWidget(scroll);
    // Tab in reading order: the fields were made in another order (currency and time zone
    // before the logo row's buttons, a key's Test button maybe before its field: arguments are
    // evaluated in any order).
    QList<QWidget *> order{m_name,          m_contact,       m_description,   m_chooseLogo,
                           m_removeLogo,    m_currency,      m_timeZone,      m_address.at(0),
                           m_address.at(1), m_address.at(2), m_address.at(3), m_address.at(5),
                           m_address.at(4), m_address.at(6), m_taxId,         m_paymentInstructions,
                           m_saveProfile,   m_optionView,    m_addOption,     m_editOption,
                           m_deleteOption,  m_defaultRate,   m_taxView,       m_addRate,
                           m_editRate,      m_removeRate,    m_invoicePrefix, m_creditNotePrefix,
                           m_saveTax,       m_listen,        m_publicUrl,     m_cors,
                           m_tlsCert,       browseCert,      m_tlsKey,        browseKey};
    order << keyOrder << m_showSecrets << m_saveSecrets << m_cancelTest << m_save;
    for (qsizetype i = 1; i < order.size(); ++i)
        setTabOrder(order.at(i - 1), order.at(i));
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

void SettingsPage::chooseTlsFile(QLineEdit *field, const QString &title)
{
    // A fresh dialog each time: at the field's file, else in the folder used last.
    QString folder;
    if (m_tlsDialog) {
        folder = m_tlsDialog->directory().absolutePath();
        delete m_tlsDialog;
    }
    const QString current = field->text().trimmed();
    if (!current.isEmpty())
        folder = QFileInfo(current).absolutePath();
    m_tlsDialog = new QFileDialog(this, title, folder);
    m_tlsDialog->setAccessibleName(title);
    m_tlsDialog->setFileMode(QFileDialog::ExistingFile);
    m_tlsDialog->setNameFilters({tr("PEM files (*.pem *.crt *.key)"), tr("All files (*)")});
    if (!current.isEmpty())
        m_tlsDialog->selectFile(current);
    connect(m_tlsDialog, &QFileDialog::fileSelected, field, &QLineEdit::setText);
    m_tlsDialog->open();
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
    loadSecrets();
    loadOwnerSettings();
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
                // The currency prices are in: the store profile's when the owner chose one.
                if (auto currency = StoreProfiles::currency(shop->database().connection(),
                                                            shop->settings().configuredCurrency()))
                    out.server.currency = currency.value();
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
                m_tlsCert->setText(s.tlsCert);
                m_tlsKey->setText(s.tlsKey);
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
    server.tlsCert = m_tlsCert->text().trimmed();
    server.tlsKey = m_tlsKey->text().trimmed();

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
    if (server.tlsCert.isEmpty() != server.tlsKey.isEmpty())
        problems << tr("TLS: choose both the certificate and the key file, or neither.");
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
                // The files are read and matched before anything is saved.
                if (!server.tlsCert.isEmpty()) {
                    if (auto tls = loadTlsFiles(server.tlsCert, server.tlsKey); !tls)
                        return tls.error();
                }
                // A new currency goes into the store's profile first: refused (409) once the
                // store has orders, before anything else is written.
                if (server.currency != shop->settings().storeCurrency()) {
                    if (auto p = shop->updateStoreProfile(
                                QJsonObject{{QStringLiteral("currency"), server.currency}});
                        !p)
                        return p.error();
                }
                if (auto s = saveStoreDetails(shop->database(), details); !s)
                    return s;
                if (monitor) {
                    if (auto s = monitor->saveSettings(server); !s)
                        return s;
                }
                // Both apply at once, in this process, without a restart.
                shop->settings().live->setConfigured(server.currency,
                                                     server.timeZone.isEmpty()
                                                             ? QTimeZone::systemTimeZone()
                                                             : QTimeZone(server.timeZone.toUtf8()));
                return Ok{};
            },
            [this](const Status &s) {
                m_save->setEnabled(true);
                const bool tls = !s && !s.error().fields.isEmpty()
                                 && s.error().fields.first().field.startsWith(QLatin1String("tls"));
                if (tls)
                    showMessage(tr("TLS certificate files: %1. Nothing was saved.")
                                        .arg(s.error().detail),
                                true);
                else if (!s)
                    showError(s.error());
                else
                    showMessage(tr("Settings saved."));
            });
}

SettingsPage::~SettingsPage()
{
    // A test still running gives up; its thread holds only copies and the shared flag.
    if (m_cancel)
        m_cancel->store(true);
}

QStringList SettingsPage::secretNames()
{
    return {QStringLiteral("MERCATO_STRIPE_SECRET_KEY"),
            QStringLiteral("MERCATO_STRIPE_PUBLISHABLE_KEY"),
            QStringLiteral("MERCATO_STRIPE_WEBHOOK_SECRET"),
            QStringLiteral("MERCATO_CLOUDINARY_URL"), QStringLiteral("MERCATO_SMTP_URL")};
}

void SettingsPage::loadSecrets()
{
    SecretStore *store = ctx().monitor ? ctx().monitor->secretStore() : nullptr;
    for (QLineEdit *e : std::as_const(m_secrets))
        e->setEnabled(true); // typed keys can be tested even where they cannot be kept
    if (!store) {
        m_keychainState->setText(tr("No keychain is available to this console: keys can be "
                                    "tested but not kept here. Set them with the MERCATO_* "
                                    "environment variables or `mercato-server secret set`."));
        m_saveSecrets->setEnabled(false);
        return;
    }
    if (m_secretsLoaded || m_secretsBusy)
        return;
    m_secretsBusy = true;
    m_saveSecrets->setEnabled(false);
    m_keychainState->setText(tr("Reading the keychain…"));
    // The keychain's jobs run asynchronously (D-Bus) while this thread's loop goes on.
    const QStringList names = secretNames();
    auto left = std::make_shared<int>(int(names.size()));
    auto error = std::make_shared<QString>();
    for (int i = 0; i < names.size(); ++i) {
        store->readLater(
                names.at(i), this,
                [this, i, left, error, store](const Result<std::optional<QByteArray>> &value) {
                    if (!value && error->isEmpty())
                        *error = value.error().detail;
                    // Locked meanwhile: nothing is shown. What the seller is typing
                    // stays.
                    if (value && !seller().id.isEmpty() && !m_secrets.at(i)->isModified())
                        m_secrets.at(i)->setText(
                                value->has_value() ? QString::fromUtf8(value->value()) : QString());
                    if (--*left > 0)
                        return;
                    m_secretsBusy = false;
                    if (seller().id.isEmpty())
                        return;
                    if (!error->isEmpty()) {
                        m_keychainState->setText(tr("The keychain cannot be used (%1): "
                                                    "keys can be tested but not kept.")
                                                         .arg(*error));
                        return;
                    }
                    m_secretsLoaded = true;
                    m_keychainState->setText(tr("Keys are kept in %1.").arg(store->describe()));
                    m_saveSecrets->setEnabled(true);
                });
    }
}

void SettingsPage::saveSecrets()
{
    SecretStore *store = ctx().monitor ? ctx().monitor->secretStore() : nullptr;
    if (!store || m_secretsBusy)
        return;
    const QStringList names = secretNames();
    QList<QPair<QString, QString>> changes;
    QStringList problems;
    for (int i = 0; i < m_secrets.size(); ++i) {
        if (!m_secrets.at(i)->isModified())
            continue;
        const QString value = m_secrets.at(i)->text().trimmed();
        const QString label = m_secrets.at(i)->accessibleName();
        if (!value.isEmpty()) {
            const QString &name = names.at(i);
            if (name == QLatin1String("MERCATO_STRIPE_SECRET_KEY")
                && !value.startsWith(QLatin1String("sk_"))
                && !value.startsWith(QLatin1String("rk_")))
                problems << tr("%1: starts with sk_ (or rk_ for a restricted key).").arg(label);
            else if (name == QLatin1String("MERCATO_STRIPE_PUBLISHABLE_KEY")
                     && !value.startsWith(QLatin1String("pk_")))
                problems << tr("%1: starts with pk_.").arg(label);
            else if (name == QLatin1String("MERCATO_STRIPE_WEBHOOK_SECRET")
                     && !value.startsWith(QLatin1String("whsec_")))
                problems << tr("%1: starts with whsec_.").arg(label);
            else if (name == QLatin1String("MERCATO_CLOUDINARY_URL")
                     && !CloudinaryImageStore::parseUrl(value, QString()))
                problems << tr("%1: cloudinary://KEY:SECRET@CLOUD.").arg(label);
            else if (name == QLatin1String("MERCATO_SMTP_URL")
                     && !SmtpMailer::parseUrl(value, QString()))
                problems << tr("%1: smtp://user:password@host:port or smtps://….").arg(label);
        }
        changes.append({names.at(i), value});
    }
    if (!problems.isEmpty()) {
        showMessage(problems.join(QLatin1Char('\n')), true);
        return;
    }
    if (changes.isEmpty()) {
        showMessage(tr("No key was changed."));
        return;
    }
    m_secretsBusy = true;
    m_saveSecrets->setEnabled(false);
    showMessage(tr("Saving the keys in the keychain…"));
    saveNextSecret(changes, 0);
}

void SettingsPage::saveNextSecret(const QList<QPair<QString, QString>> &changes, int index)
{
    SecretStore *store = ctx().monitor ? ctx().monitor->secretStore() : nullptr;
    if (index == changes.size() || !store) {
        m_secretsBusy = false;
        m_saveSecrets->setEnabled(true);
        showMessage(tr("Keys saved in the keychain. They take effect the next time Mercato "
                       "starts."));
        return;
    }
    // One job after the other: the first failure stops the rest and is reported.
    const auto &change = changes.at(index);
    auto next = [this, changes, index](const Status &s) {
        if (!s) {
            m_secretsBusy = false;
            m_saveSecrets->setEnabled(true);
            showMessage(tr("The keys were not saved: %1").arg(s.error().detail), true);
            return;
        }
        m_secrets.at(int(secretNames().indexOf(changes.at(index).first)))->setModified(false);
        saveNextSecret(changes, index + 1);
    };
    if (change.second.isEmpty())
        store->removeLater(change.first, this, next);
    else
        store->writeLater(change.first, change.second.toUtf8(), this, next);
}

void SettingsPage::setSecretsVisible(bool visible)
{
    const QStringList names = secretNames();
    for (int i = 0; i < m_secrets.size(); ++i) {
        if (names.at(i) != QLatin1String("MERCATO_STRIPE_PUBLISHABLE_KEY"))
            m_secrets.at(i)->setEchoMode(visible ? QLineEdit::Normal : QLineEdit::Password);
    }
}

void SettingsPage::testConnection(Service service)
{
    if (m_test->isRunning())
        return;
    const QStringList names = secretNames();
    auto field = [&](const char *name) {
        return m_secrets.at(int(names.indexOf(QLatin1String(name))))->text().trimmed();
    };
    ServerMonitor *monitor = ctx().monitor;
    const QString stripeBase
            = monitor ? monitor->stripeApiBase() : QStringLiteral("https://api.stripe.com");
    const QString cloudinaryBase
            = monitor ? monitor->cloudinaryApiBase() : QStringLiteral("https://api.cloudinary.com");
    const QString stripeKey = field("MERCATO_STRIPE_SECRET_KEY");
    const QString cloudinaryUrl = field("MERCATO_CLOUDINARY_URL");
    const QString smtpUrl = field("MERCATO_SMTP_URL");
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancel;
    static const QStringList serviceNames{QStringLiteral("Stripe"), QStringLiteral("Cloudinary"),
                                          QStringLiteral("SMTP")};
    m_testResult->setStyleSheet(QString());
    m_testResult->setText(tr("Testing %1…").arg(serviceNames.at(int(service))));
    m_testResult->setAccessibleDescription(tr("running"));
    for (QPushButton *b : std::as_const(m_testButtons))
        b->setEnabled(false);
    m_testProgress->show();
    m_cancelTest->show();
    m_cancelTest->setEnabled(true);
    // Network calls run on a thread of their own, not the console's worker: a slow service
    // must not hold up the pages' queries.
    m_test->setFuture(QtConcurrent::run([=]() -> ConnectionCheck {
        switch (service) {
        case Service::Stripe:
            return checkStripe(stripeBase, stripeKey, kHttpTestTimeoutMs, cancel.get());
        case Service::Cloudinary:
            return checkCloudinary(cloudinaryUrl, cloudinaryBase, kHttpTestTimeoutMs, cancel.get());
        case Service::Smtp:
            return checkSmtp(smtpUrl, kSmtpTestTimeoutMs, cancel.get());
        }
        return {};
    }));
}

void SettingsPage::cancelTest()
{
    if (!m_cancel || !m_test->isRunning())
        return;
    m_cancel->store(true);
    m_cancelTest->setEnabled(false);
    m_testResult->setText(tr("Cancelling…"));
}

void SettingsPage::testFinished()
{
    const ConnectionCheck check = m_test->result();
    m_testProgress->hide();
    m_cancelTest->hide();
    for (QPushButton *b : std::as_const(m_testButtons))
        b->setEnabled(true);
    if (seller().id.isEmpty())
        return; // locked meanwhile
    m_testResult->setText(check.message);
    m_testResult->setStyleSheet(check.outcome == ConnectionCheck::Outcome::Failed
                                        ? QStringLiteral("color: #b00020;")
                                        : QStringLiteral("color: #1b5e20;"));
    m_testResult->setAccessibleDescription(
            check.outcome == ConnectionCheck::Outcome::Works       ? tr("works")
            : check.outcome == ConnectionCheck::Outcome::Cancelled ? tr("cancelled")
                                                                   : tr("failed"));
}

void SettingsPage::forget()
{
    showOwnerSettings(false);
    if (m_cancel)
        m_cancel->store(true);
    for (QLineEdit *e : std::as_const(m_secrets)) {
        e->clear();
        e->setModified(false);
        e->setEnabled(false);
    }
    m_showSecrets->setChecked(false);
    m_saveSecrets->setEnabled(false);
    m_testResult->clear();
    m_secretsLoaded = false;
}

void SettingsPage::showOwnerSettings(bool owner)
{
    m_ownerStore->setVisible(owner);
    m_shipping->setVisible(owner);
    m_tax->setVisible(owner);
    m_ownerNote->setVisible(!owner && !seller().id.isEmpty());
}

void SettingsPage::showProblem(const QString &title, const QString &text)
{
    delete m_problem;
    QWidget *over = this;
    for (const QString &name :
         {QStringLiteral("shippingOptionDialog"), QStringLiteral("taxRateDialog")}) {
        if (auto *dialog = findChild<QDialog *>(name); dialog && dialog->isVisible())
            over = dialog;
    }
    m_problem = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, over);
    m_problem->setAccessibleName(tr("Problem"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setAttribute(Qt::WA_DeleteOnClose);
    m_problem->open();
}

void SettingsPage::loadOwnerSettings()
{
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this,
            [shop, sellerId]() -> OwnerSettings {
                OwnerSettings out;
                out.owner = StoreOwner::isOwner(shop->database().connection(), sellerId);
                if (!out.owner || !out.owner.value())
                    return out;
                const QSqlDatabase db = shop->database().connection();
                out.profile = StoreProfiles::load(db);
                out.options = ShippingOptions::list(db);
                out.currency = StoreProfiles::currency(db, shop->settings().configuredCurrency());
                out.tax = TaxRates::load(db);
                return out;
            },
            [this, sellerId](const OwnerSettings &loaded) {
                if (seller().id != sellerId)
                    return;
                const bool owner = loaded.owner && loaded.owner.value();
                showOwnerSettings(owner);
                if (!owner)
                    return;
                if (!loaded.profile || !loaded.options || !loaded.currency || !loaded.tax) {
                    showError(!loaded.profile    ? loaded.profile.error()
                              : !loaded.options  ? loaded.options.error()
                              : !loaded.currency ? loaded.currency.error()
                                                 : loaded.tax.error());
                    return;
                }
                m_currencyShown = loaded.currency.value();
                const StoreProfile &p = loaded.profile.value();
                const Address a = p.address.value_or(Address{});
                const QStringList values{a.name,   a.line1,      a.line2,  a.city,
                                         a.region, a.postalCode, a.country};
                for (int i = 0; i < m_address.size(); ++i) {
                    if (!m_address.at(i)->isModified())
                        m_address.at(i)->setText(values.at(i));
                }
                if (!m_taxId->isModified())
                    m_taxId->setText(p.taxId);
                if (!m_paymentInstructions->document()->isModified()) {
                    m_paymentInstructions->setPlainText(p.paymentInstructions);
                    m_paymentInstructions->document()->setModified(false);
                }
                // What the owner is editing stays; the rest shows what is saved.
                const TaxRateTable &tax = loaded.tax.value();
                if (!m_defaultRate->isModified())
                    m_defaultRate->setText(tax.defaultMilli ? rateText(*tax.defaultMilli)
                                                            : QString());
                if (!m_taxRowsEdited) {
                    m_taxRows.clear();
                    for (const auto &[country, milli] : tax.rates)
                        m_taxRows.append({country, rateText(milli)});
                    showTaxRows();
                }
                if (!m_invoicePrefix->isModified())
                    m_invoicePrefix->setText(p.invoicePrefix);
                if (!m_creditNotePrefix->isModified())
                    m_creditNotePrefix->setText(p.creditNotePrefix);
                m_options = loaded.options.value();
                const QString keep = selectedId(m_optionView);
                QList<TableRow> rows;
                for (const ShippingOption &o : std::as_const(m_options)) {
                    const QString days
                            = o.estimatedDays
                                      ? (o.estimatedDays->first == o.estimatedDays->second
                                                 ? tr("%n day(s)", nullptr, o.estimatedDays->first)
                                                 : tr("%1–%2 days")
                                                           .arg(o.estimatedDays->first)
                                                           .arg(o.estimatedDays->second))
                                      : QString();
                    rows.append({o.id,
                                 {o.name, formatMoney(o.priceCents, m_currencyShown),
                                  o.freeOverCents ? formatMoney(*o.freeOverCents, m_currencyShown)
                                                  : tr("never"),
                                  o.countries ? o.countries->join(QStringLiteral(", "))
                                              : tr("everywhere"),
                                  days},
                                 {o.name, o.priceCents, o.freeOverCents.value_or(-1),
                                  o.countries ? o.countries->join(QLatin1Char(',')) : QString(),
                                  o.estimatedDays ? o.estimatedDays->first : -1}});
                }
                m_optionModel->setRows(rows);
                selectRowWithId(m_optionView, keep);
                const bool selected = !selectedId(m_optionView).isEmpty();
                m_editOption->setEnabled(selected);
                m_deleteOption->setEnabled(selected);
            });
}

void SettingsPage::saveStoreProfile()
{
    QJsonObject address;
    bool anyAddress = false;
    static const QStringList keys{QStringLiteral("name"),   QStringLiteral("line1"),
                                  QStringLiteral("line2"),  QStringLiteral("city"),
                                  QStringLiteral("region"), QStringLiteral("postalCode"),
                                  QStringLiteral("country")};
    for (int i = 0; i < m_address.size(); ++i) {
        QString value = m_address.at(i)->text().trimmed();
        if (keys.at(i) == QLatin1String("country"))
            value = value.toUpper();
        anyAddress = anyAddress || !value.isEmpty();
        address.insert(keys.at(i), value);
    }
    const QJsonObject patch{
            {QStringLiteral("address"), anyAddress ? QJsonValue(address) : QJsonValue()},
            {QStringLiteral("taxId"), m_taxId->text().trimmed()},
            {QStringLiteral("paymentInstructions"),
             m_paymentInstructions->toPlainText().trimmed()}};
    m_saveProfile->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this,
            [shop, sellerId, patch]() -> Result<StoreProfile> {
                if (auto s = requireOwner(shop, sellerId); !s)
                    return s.error();
                return shop->updateStoreProfile(patch);
            },
            [this](const Result<StoreProfile> &saved) {
                m_saveProfile->setEnabled(true);
                if (!saved) {
                    showProblem(tr("The store's details were not saved"),
                                plainProblems(saved.error(), ownerLabels()));
                    return;
                }
                for (QLineEdit *e : std::as_const(m_address))
                    e->setModified(false);
                m_taxId->setModified(false);
                m_paymentInstructions->document()->setModified(false);
                showMessage(tr("The store's address, tax id and payment instructions are saved."));
                loadOwnerSettings();
            });
}

void SettingsPage::editShippingOption(bool add)
{
    const QString id = add ? QString() : selectedId(m_optionView);
    if (!add && id.isEmpty())
        return;
    ShippingOption current;
    for (const ShippingOption &o : std::as_const(m_options)) {
        if (o.id == id)
            current = o;
    }
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("shippingOptionDialog"));
    dialog->setAccessibleName(tr("Shipping option dialog"));
    dialog->setWindowTitle(add ? tr("New shipping option")
                               : tr("Edit shipping option %1").arg(current.name));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setMinimumWidth(440);
    auto *layout = new QVBoxLayout(dialog);
    auto *form = new QFormLayout;
    QLineEdit *name = edit(dialog, tr("Option name"), tr("e.g. Standard parcel"));
    QLineEdit *price = edit(dialog, tr("Option price"), tr("e.g. 4.90"));
    QLineEdit *freeOver = edit(dialog, tr("Free over"), tr("empty: never free"));
    QLineEdit *countries = edit(dialog, tr("Ships to countries"),
                                tr("empty: everywhere; else codes such as FR, DE, BE"));
    QLineEdit *minDays = edit(dialog, tr("Fewest days"), tr("optional"));
    QLineEdit *maxDays = edit(dialog, tr("Most days"), tr("optional"));
    if (!add) {
        name->setText(current.name);
        price->setText(amountText(current.priceCents));
        if (current.freeOverCents)
            freeOver->setText(amountText(*current.freeOverCents));
        if (current.countries)
            countries->setText(current.countries->join(QStringLiteral(", ")));
        if (current.estimatedDays) {
            minDays->setText(QString::number(current.estimatedDays->first));
            maxDays->setText(QString::number(current.estimatedDays->second));
        }
    }
    form->addRow(tr("&Name:"), name);
    form->addRow(tr("&Price (%1):").arg(m_currencyShown), price);
    form->addRow(tr("&Free when the order reaches:"), freeOver);
    form->addRow(tr("Ships &to:"), countries);
    auto *days = new QHBoxLayout;
    days->addWidget(minDays);
    auto *to = new QLabel(tr("to"), dialog);
    to->setAccessibleName(tr("Days range label"));
    days->addWidget(to);
    days->addWidget(maxDays);
    form->addRow(tr("&Estimated days:"), days);
    buddyUp(form);
    layout->addLayout(form);
    auto *buttons = new QDialogButtonBox(dialog);
    QPushButton *save = buttons->addButton(tr("&Save option"), QDialogButtonBox::AcceptRole);
    save->setAccessibleName(tr("Save shipping option"));
    save->setDefault(true);
    QPushButton *cancel = buttons->addButton(tr("Cancel"), QDialogButtonBox::RejectRole);
    cancel->setAccessibleName(tr("Cancel shipping option"));
    layout->addWidget(buttons);
    connect(cancel, &QPushButton::clicked, dialog, &QDialog::reject);
    connect(save, &QPushButton::clicked, this, [=, this] {
        // What the console reads itself (amounts, days); the rest is the service's to check.
        QStringList problems;
        QJsonObject json{{QStringLiteral("name"), name->text().trimmed()}};
        if (const auto cents = parseAmount(price->text()))
            json.insert(QStringLiteral("priceCents"), *cents);
        else
            problems << tr("Price: enter an amount such as 4.90.");
        if (freeOver->text().trimmed().isEmpty())
            json.insert(QStringLiteral("freeOverCents"), QJsonValue());
        else if (const auto cents = parseAmount(freeOver->text()))
            json.insert(QStringLiteral("freeOverCents"), *cents);
        else
            problems << tr("Free over: enter an amount such as 50.00, or leave it empty.");
        const QStringList codes = countries->text().toUpper().split(
                QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts);
        json.insert(QStringLiteral("countries"),
                    codes.isEmpty() ? QJsonValue() : QJsonValue(QJsonArray::fromStringList(codes)));
        const QString from = minDays->text().trimmed();
        const QString until = maxDays->text().trimmed();
        bool fromOk = false;
        bool untilOk = false;
        const int fromDays = from.toInt(&fromOk);
        const int untilDays = until.toInt(&untilOk);
        if (from.isEmpty() && until.isEmpty())
            json.insert(QStringLiteral("estimatedDays"), QJsonValue());
        else if (fromOk && untilOk)
            json.insert(QStringLiteral("estimatedDays"),
                        QJsonObject{{QStringLiteral("min"), fromDays},
                                    {QStringLiteral("max"), untilDays}});
        else
            problems << tr("Estimated days: whole numbers of days in both fields, or neither.");
        if (!problems.isEmpty()) {
            showProblem(tr("The shipping option was not saved"), problems.join(QLatin1Char('\n')));
            return;
        }
        save->setEnabled(false);
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        QPointer<QDialog> guard(dialog);
        ctx().worker.run(
                this,
                [shop, sellerId, id, json]() -> Result<ShippingOption> {
                    if (auto s = requireOwner(shop, sellerId); !s)
                        return s.error();
                    if (!id.isEmpty())
                        return ShippingOptions::update(shop->database(), id, json);
                    auto option = ShippingOptions::fromJson(json);
                    if (!option)
                        return option.error();
                    return ShippingOptions::add(shop->database(), option.value());
                },
                [this, guard, save](const Result<ShippingOption> &saved) {
                    if (guard)
                        save->setEnabled(true);
                    if (!saved) {
                        showProblem(tr("The shipping option was not saved"),
                                    plainProblems(saved.error(), ownerLabels()));
                        return;
                    }
                    if (guard)
                        guard->accept();
                    showMessage(tr("Shipping option %1 saved.").arg(saved->name));
                    loadOwnerSettings();
                });
    });
    dialog->open();
}

void SettingsPage::deleteShippingOption()
{
    const QString id = selectedId(m_optionView);
    if (id.isEmpty())
        return;
    QString name;
    for (const ShippingOption &o : std::as_const(m_options)) {
        if (o.id == id)
            name = o.name;
    }
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Delete shipping option"),
                                    tr("Delete the shipping option %1? Orders that chose it keep "
                                       "their own copy.")
                                            .arg(name),
                                    QMessageBox::NoButton, this);
    confirm->setAccessibleName(tr("Delete shipping option?"));
    confirm->setTextFormat(Qt::PlainText);
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = confirm->addButton(tr("&Delete"), QMessageBox::DestructiveRole);
    yes->setAccessibleName(tr("Confirm delete shipping option"));
    QPushButton *no = confirm->addButton(QMessageBox::Cancel);
    no->setAccessibleName(tr("Keep shipping option"));
    confirm->setDefaultButton(no);
    connect(yes, &QPushButton::clicked, this, [this, id, name] {
        Shop *shop = &ctx().shop;
        const QString sellerId = seller().id;
        ctx().worker.run(
                this,
                [shop, sellerId, id]() -> Status {
                    if (auto s = requireOwner(shop, sellerId); !s)
                        return s;
                    return ShippingOptions::remove(shop->database(), id);
                },
                [this, name](const Status &s) {
                    if (!s) {
                        showProblem(tr("The shipping option was not deleted"),
                                    plainProblems(s.error(), ownerLabels()));
                        return;
                    }
                    showMessage(tr("Shipping option %1 deleted.").arg(name));
                    loadOwnerSettings();
                });
    });
    confirm->open();
}

QJsonObject SettingsPage::taxJson(const QList<QPair<QString, QString>> &rows) const
{
    QJsonArray list;
    for (const auto &[country, rate] : rows)
        list.append(QJsonObject{{QStringLiteral("country"), country.trimmed().toUpper()},
                                {QStringLiteral("ratePercent"), rateJson(rate)}});
    const QString fallback = m_defaultRate->text().trimmed();
    return QJsonObject{{QStringLiteral("defaultRatePercent"),
                        fallback.isEmpty() ? QJsonValue() : rateJson(fallback)},
                       {QStringLiteral("rates"), list}};
}

void SettingsPage::showTaxRows()
{
    const QString keep = selectedId(m_taxView);
    QList<TableRow> rows;
    for (const auto &[country, rate] : std::as_const(m_taxRows))
        rows.append({country, {country, rate}, {country, rateJson(rate).toDouble()}});
    m_taxModel->setRows(rows);
    selectRowWithId(m_taxView, keep);
    const bool selected = !selectedId(m_taxView).isEmpty();
    m_editRate->setEnabled(selected);
    m_removeRate->setEnabled(selected);
}

void SettingsPage::editTaxRate(bool add)
{
    const QString id = add ? QString() : selectedId(m_taxView);
    if (!add && id.isEmpty())
        return;
    qsizetype index = -1;
    for (qsizetype i = 0; i < m_taxRows.size(); ++i) {
        if (m_taxRows.at(i).first == id)
            index = i;
    }
    if (!add && index < 0)
        return;
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("taxRateDialog"));
    dialog->setAccessibleName(tr("Tax rate dialog"));
    dialog->setWindowTitle(add ? tr("New tax rate") : tr("Tax rate for %1").arg(id));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setMinimumWidth(360);
    auto *layout = new QVBoxLayout(dialog);
    auto *form = new QFormLayout;
    QLineEdit *country = edit(dialog, tr("Tax country"), tr("two letters, e.g. FR"));
    country->setMaxLength(8);
    QLineEdit *rate = edit(dialog, tr("Tax rate percent"), tr("e.g. 20 or 7.7"));
    if (!add) {
        country->setText(m_taxRows.at(index).first);
        rate->setText(m_taxRows.at(index).second);
    }
    form->addRow(tr("&Country:"), country);
    form->addRow(tr("&Rate (%):"), rate);
    layout->addLayout(form);
    auto *buttons = new QDialogButtonBox(dialog);
    QPushButton *ok = buttons->addButton(tr("&OK"), QDialogButtonBox::AcceptRole);
    ok->setAccessibleName(tr("Keep tax rate"));
    ok->setDefault(true);
    QPushButton *cancel = buttons->addButton(tr("Cancel"), QDialogButtonBox::RejectRole);
    cancel->setAccessibleName(tr("Cancel tax rate"));
    layout->addWidget(buttons);
    connect(cancel, &QPushButton::clicked, dialog, &QDialog::reject);
    connect(ok, &QPushButton::clicked, this, [this, dialog, country, rate, index] {
        // The table with this row in it, checked by the service's own reading of the body
        // (no database involved): a bad country, rate or a country twice is named.
        QList<QPair<QString, QString>> rows = m_taxRows;
        const QPair<QString, QString> row{country->text().trimmed().toUpper(),
                                          rate->text().trimmed()};
        const qsizetype at = index >= 0 ? index : rows.size();
        if (index >= 0)
            rows[index] = row;
        else
            rows.append(row);
        auto table = TaxRates::fromJson(taxJson(rows));
        if (!table) {
            QList<FieldError> mine;
            for (const FieldError &f : table.error().fields) {
                if (f.field.startsWith(QStringLiteral("rates[%1]").arg(at)))
                    mine.append(f);
            }
            if (!mine.isEmpty()) {
                Error e = table.error();
                e.fields = mine;
                showProblem(tr("The tax rate was not kept"), plainProblems(e, taxLabels(rows)));
                return;
            }
        }
        m_taxRows = rows;
        m_taxRowsEdited = true;
        showTaxRows();
        selectRowWithId(m_taxView, row.first);
        showMessage(tr("Tax rate for %1 changed: choose Save tax and invoices to keep it.")
                            .arg(row.first));
        dialog->accept();
    });
    dialog->open();
}

void SettingsPage::removeTaxRate()
{
    const QString id = selectedId(m_taxView);
    for (qsizetype i = 0; i < m_taxRows.size(); ++i) {
        if (m_taxRows.at(i).first == id) {
            m_taxRows.removeAt(i);
            m_taxRowsEdited = true;
            showTaxRows();
            showMessage(tr("Tax rate for %1 removed: choose Save tax and invoices to keep it.")
                                .arg(id));
            return;
        }
    }
}

void SettingsPage::saveTaxAndInvoices()
{
    const QList<QPair<QString, QString>> rows = m_taxRows;
    const QJsonObject tax = taxJson(rows);
    const QJsonObject prefixes{
            {QStringLiteral("invoicePrefix"), m_invoicePrefix->text().trimmed()},
            {QStringLiteral("creditNotePrefix"), m_creditNotePrefix->text().trimmed()}};
    m_saveTax->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    ctx().worker.run(
            this,
            [shop, sellerId, tax, prefixes]() -> Status {
                if (auto s = requireOwner(shop, sellerId); !s)
                    return s;
                // Both are checked before anything is written.
                auto table = TaxRates::fromJson(tax);
                if (!table)
                    return table.error();
                auto profile = shop->updateStoreProfile(prefixes);
                if (!profile)
                    return profile.error();
                return TaxRates::save(shop->database(), table.value());
            },
            [this, rows](const Status &saved) {
                m_saveTax->setEnabled(true);
                if (!saved) {
                    showProblem(tr("The tax rates and invoice prefixes were not saved"),
                                plainProblems(saved.error(), taxLabels(rows)));
                    return;
                }
                m_defaultRate->setModified(false);
                m_invoicePrefix->setModified(false);
                m_creditNotePrefix->setModified(false);
                m_taxRowsEdited = false;
                showMessage(tr("Tax rates and invoice prefixes saved."));
                loadOwnerSettings();
            });
}

} // namespace Mercato
