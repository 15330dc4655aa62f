#include "setupwizard.h"

#include "consoleworker.h"
#include "page.h"
#include "servermonitor.h"

#include "model/demo.h"
#include "model/shop.h"
#include "model/storedetails.h"
#include "model/storeowner.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTimeZone>
#include <QVBoxLayout>

namespace Mercato {

namespace {
QLabel *errorLabel(QWidget *parent, const QString &name)
{
    auto *l = new QLabel(parent);
    l->setTextFormat(Qt::PlainText);
    l->setAccessibleName(name);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: #b00020;"));
    return l;
}

QLineEdit *lineEdit(QWidget *parent, const QString &name)
{
    auto *e = new QLineEdit(parent);
    e->setAccessibleName(name);
    return e;
}
} // namespace

SetupWizard::SetupWizard(Shop &shop, ConsoleWorker &worker, ServerMonitor *monitor, QWidget *parent)
    : QWizard(parent)
    , m_shop(shop)
    , m_worker(worker)
    , m_monitor(monitor)
{
    setObjectName(QStringLiteral("setupWizard"));
    setAccessibleName(tr("First run"));
    setWindowTitle(tr("Set up your shop"));
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnLastPage, false);
    setMinimumSize(560, 420);

    auto *store = new QWizardPage(this);
    store->setTitle(tr("Your store"));
    store->setSubTitle(
            tr("How customers will see your shop. You can change this later in Settings."));
    auto *storeForm = new QFormLayout(store);
    m_storeName = lineEdit(store, tr("Store name"));
    m_storeName->setPlaceholderText(tr("e.g. Corner Bakery"));
    m_currency = new QComboBox(store);
    m_currency->setAccessibleName(tr("Currency"));
    m_currency->setEditable(true);
    m_currency->addItems({QStringLiteral("USD"), QStringLiteral("EUR"), QStringLiteral("GBP"),
                          QStringLiteral("JPY"), QStringLiteral("CAD"), QStringLiteral("AUD"),
                          QStringLiteral("CHF")});
    m_currency->setCurrentText(shop.settings().storeCurrency());
    m_timeZone = new QComboBox(store);
    m_timeZone->setAccessibleName(tr("Time zone"));
    m_timeZone->setEditable(true);
    const QList<QByteArray> zones = QTimeZone::availableTimeZoneIds();
    for (const QByteArray &z : zones)
        m_timeZone->addItem(QString::fromUtf8(z));
    m_timeZone->setCurrentText(QString::fromUtf8(shop.settings().zone().id()));
    m_storeError = errorLabel(store, tr("Store errors"));
    storeForm->addRow(tr("Store &name:"), m_storeName);
    storeForm->addRow(tr("&Currency:"), m_currency);
    storeForm->addRow(tr("&Time zone:"), m_timeZone);
    m_demo = new QCheckBox(tr("Add &demo data to try things out: three sample sellers, two "
                              "customers and 200 products"),
                           store);
    m_demo->setAccessibleName(tr("Demo data"));
    storeForm->addRow(m_demo);
    storeForm->addRow(m_storeError);
    addPage(store);

    auto *owner = new QWizardPage(this);
    owner->setTitle(tr("Owner account"));
    owner->setSubTitle(
            tr("The seller account you sign in with. Other sellers can register later."));
    owner->setFinalPage(true);
    auto *ownerForm = new QFormLayout(owner);
    m_ownerName = lineEdit(owner, tr("Owner name"));
    m_email = lineEdit(owner, tr("Owner email"));
    m_password = lineEdit(owner, tr("Owner password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_confirm = lineEdit(owner, tr("Confirm password"));
    m_confirm->setEchoMode(QLineEdit::Password);
    m_ownerError = errorLabel(owner, tr("Owner errors"));
    ownerForm->addRow(tr("Your &name:"), m_ownerName);
    ownerForm->addRow(tr("&Email:"), m_email);
    ownerForm->addRow(tr("&Password:"), m_password);
    ownerForm->addRow(tr("C&onfirm:"), m_confirm);
    auto *hint = new QLabel(tr("At least %1 characters.").arg(Accounts::kMinPasswordChars), owner);
    hint->setAccessibleName(tr("Password hint"));
    ownerForm->addRow(QString(), hint);
    ownerForm->addRow(m_ownerError);
    addPage(owner);

    button(QWizard::NextButton)->setAccessibleName(tr("Next"));
    button(QWizard::BackButton)->setAccessibleName(tr("Back"));
    button(QWizard::FinishButton)->setAccessibleName(tr("Finish"));
    button(QWizard::CancelButton)->setAccessibleName(tr("Cancel"));
}

bool SetupWizard::validateCurrentPage()
{
    if (currentId() == 0) {
        if (m_storeName->text().trimmed().isEmpty()) {
            m_storeError->setText(tr("Enter the store's name."));
            return false;
        }
        if (m_currency->currentText().trimmed().size() != 3) {
            m_storeError->setText(tr("The currency is a three-letter code such as USD."));
            return false;
        }
        if (!QTimeZone(m_timeZone->currentText().trimmed().toUtf8()).isValid()) {
            m_storeError->setText(tr("Choose a time zone from the list."));
            return false;
        }
        m_storeError->clear();
        return true;
    }
    if (m_created)
        return true;
    const QString email = Accounts::normaliseEmail(m_email->text());
    QStringList problems;
    if (m_ownerName->text().trimmed().isEmpty())
        problems << tr("Enter your name.");
    if (!Accounts::isValidEmail(email))
        problems << tr("Enter a valid email address.");
    for (const FieldError &f :
         Accounts::passwordProblems(QStringLiteral("password"), m_password->text(), email))
        problems << f.message;
    if (m_password->text() != m_confirm->text())
        problems << tr("The passwords do not match.");
    m_ownerError->setText(problems.join(QLatin1Char('\n')));
    if (problems.isEmpty() && !m_busy)
        createOwner();
    return false;
}

void SetupWizard::createOwner()
{
    m_busy = true;
    button(QWizard::FinishButton)->setEnabled(false);
    m_ownerError->setStyleSheet(QString());
    m_ownerError->setText(tr("Creating your account…"));
    Registration reg{m_email->text(), m_password->text(), m_ownerName->text().trimmed(),
                     QStringLiteral("seller")};
    StoreDetails details;
    details.name = m_storeName->text().trimmed();
    details.contactEmail = Accounts::normaliseEmail(m_email->text());
    ServerSettings server;
    if (m_monitor) {
        server = m_monitor->settings();
        server.currency = m_currency->currentText().trimmed().toUpper();
        server.timeZone = m_timeZone->currentText().trimmed();
    }
    // The currency also goes into the store's profile (every process reads it from the
    // database), and both apply at once: prices typed next are in it, without a restart.
    const QString currency = m_currency->currentText().trimmed().toUpper();
    const QTimeZone zone(m_timeZone->currentText().trimmed().toUtf8());
    Shop *shop = &m_shop;
    ServerMonitor *monitor = m_monitor;
    const bool demo = m_demo->isChecked();
    if (demo)
        m_ownerError->setText(tr("Creating your account and the demo data…"));
    m_worker.run(
            this,
            [shop, monitor, reg, details, server, demo, currency, zone]() -> Result<Account> {
                // The details first: an account is the one step that cannot be redone.
                if (auto s = saveStoreDetails(shop->database(), details); !s)
                    return s.error();
                if (monitor) {
                    if (auto s = monitor->saveSettings(server); !s)
                        return s.error();
                }
                // The profile first: it keeps a currency that differs from the configured one.
                if (auto p
                    = shop->updateStoreProfile(QJsonObject{{QStringLiteral("currency"), currency}});
                    !p)
                    return p.error();
                shop->settings().live->setConfigured(currency, zone);
                auto session = shop->accounts().registerAccount(reg);
                if (!session)
                    return session.error();
                // The first run's seller owns the store (made active if approval is on).
                if (auto s = StoreOwner::setOwner(shop->database(), session->user.id); !s)
                    return s.error();
                session->user.status = QStringLiteral("active");
                // After the owner: the account is made, so a demo problem only costs the demo
                // (logged; the sample accounts' sign-in is in the README).
                if (demo) {
                    if (auto seeded = Demo::seed(*shop, session->user.id); !seeded)
                        qWarning("demo data not added: %s", qPrintable(seeded.error().detail));
                }
                return session->user;
            },
            [this](const Result<Account> &result) {
                m_busy = false;
                button(QWizard::FinishButton)->setEnabled(true);
                m_ownerError->setStyleSheet(QStringLiteral("color: #b00020;"));
                if (!result) {
                    m_ownerError->setText(describeError(result.error()));
                    return;
                }
                m_ownerError->clear();
                m_created = true;
                Q_EMIT ownerCreated(result.value());
                accept();
            });
}

void SetupWizard::reject()
{
    if (m_created) {
        QWizard::reject();
        return;
    }
    if (m_leave && m_leave->isVisible())
        return;
    delete m_leave; // an earlier, answered one
    m_leave = new QMessageBox(QMessageBox::Question, tr("Stop setting up?"),
                              tr("Mercato needs its first account, the store owner's, before "
                                 "it can be used. Stop now and set up the store later?"),
                              QMessageBox::NoButton, this);
    m_leave->setAccessibleName(tr("Stop setting up?"));
    m_leave->setTextFormat(Qt::PlainText);
    QPushButton *stay = m_leave->addButton(tr("&Continue setting up"), QMessageBox::RejectRole);
    stay->setAccessibleName(tr("Continue setting up"));
    QPushButton *leave = m_leave->addButton(tr("&Stop for now"), QMessageBox::AcceptRole);
    leave->setAccessibleName(tr("Stop for now"));
    m_leave->setDefaultButton(stay);
    m_leave->setEscapeButton(stay);
    connect(m_leave, &QMessageBox::buttonClicked, this, [this, leave](QAbstractButton *b) {
        if (b != leave)
            return;
        QWizard::reject();
        Q_EMIT abandoned();
    });
    m_leave->open();
}

} // namespace Mercato
