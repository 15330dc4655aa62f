#include "logindialog.h"

#include "consoleworker.h"

#include "model/shop.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Mercato {

LoginDialog::LoginDialog(Shop &shop, ConsoleWorker &worker, QWidget *parent)
    : QDialog(parent)
    , m_shop(shop)
    , m_worker(worker)
{
    setObjectName(QStringLiteral("loginDialog"));
    setAccessibleName(tr("Sign in"));
    setWindowTitle(tr("Sign in to Mercato"));
    setModal(true);
    setMinimumWidth(380);

    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Sign in with a seller account of this shop."), this);
    intro->setAccessibleName(tr("Sign in description"));
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_email = new QLineEdit(this);
    m_email->setAccessibleName(tr("Email"));
    m_password = new QLineEdit(this);
    m_password->setAccessibleName(tr("Password"));
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("&Email:"), m_email);
    form->addRow(tr("&Password:"), m_password);
    layout->addLayout(form);
    m_message = new QLabel(this);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setAccessibleName(tr("Sign in message"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020;"));
    layout->addWidget(m_message);
    auto *buttons = new QDialogButtonBox(this);
    m_signIn = buttons->addButton(tr("Sign in"), QDialogButtonBox::AcceptRole);
    m_signIn->setAccessibleName(tr("Sign in"));
    m_signIn->setDefault(true);
    layout->addWidget(buttons);
    connect(m_signIn, &QPushButton::clicked, this, &LoginDialog::signIn);
    connect(m_password, &QLineEdit::returnPressed, this, &LoginDialog::signIn);
}

void LoginDialog::reset(const QString &message)
{
    m_password->clear();
    m_message->setText(message);
    m_signIn->setEnabled(true);
    (m_email->text().isEmpty() ? m_email : m_password)->setFocus();
}

void LoginDialog::signIn()
{
    if (!m_signIn->isEnabled())
        return;
    if (m_email->text().trimmed().isEmpty() || m_password->text().isEmpty()) {
        m_message->setText(tr("Enter your email and password."));
        return;
    }
    m_signIn->setEnabled(false);
    m_message->setText(tr("Checking…"));
    Shop *shop = &m_shop;
    const QString email = m_email->text();
    const QString password = m_password->text();
    m_worker.run(
            this,
            [shop, email, password] { return shop->accounts().checkCredentials(email, password); },
            [this](const Result<Account> &result) {
                m_signIn->setEnabled(true);
                m_password->clear();
                if (!result) {
                    m_message->setText(result.error().code == ErrorCode::Unauthenticated
                                               ? tr("The email or password is wrong.")
                                               : result.error().detail);
                    return;
                }
                if (result->role != QLatin1String("seller")) {
                    m_message->setText(tr("Only seller accounts can use the console."));
                    return;
                }
                if (result->status != QLatin1String("active")) {
                    m_message->setText(tr("This seller account is not active yet."));
                    return;
                }
                m_message->clear();
                Q_EMIT signedIn(result.value());
                accept();
            });
}

} // namespace Mercato
