#include "logindialog.h"

#include "consoleworker.h"

#include "model/shop.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QUrl>
#include <QUrlQuery>
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

    auto *outer = new QVBoxLayout(this);
    m_signInPanel = new QWidget(this);
    auto *layout = new QVBoxLayout(m_signInPanel);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *intro = new QLabel(tr("Sign in with a seller account of this shop."), m_signInPanel);
    intro->setAccessibleName(tr("Sign in description"));
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_email = new QLineEdit(m_signInPanel);
    m_email->setAccessibleName(tr("Email"));
    m_password = new QLineEdit(m_signInPanel);
    m_password->setAccessibleName(tr("Password"));
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("&Email:"), m_email);
    form->addRow(tr("&Password:"), m_password);
    layout->addLayout(form);
    m_message = new QLabel(m_signInPanel);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setAccessibleName(tr("Sign in message"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020;"));
    layout->addWidget(m_message);
    auto *row = new QHBoxLayout;
    m_forgot = new QPushButton(tr("&Forgot password?"), m_signInPanel);
    m_forgot->setAccessibleName(tr("Forgot password"));
    m_forgot->setAutoDefault(false);
    row->addWidget(m_forgot);
    row->addStretch(1);
    auto *buttons = new QDialogButtonBox(m_signInPanel);
    m_signIn = buttons->addButton(tr("Sign in"), QDialogButtonBox::AcceptRole);
    m_signIn->setAccessibleName(tr("Sign in"));
    m_signIn->setDefault(true);
    row->addWidget(buttons);
    layout->addLayout(row);
    outer->addWidget(m_signInPanel);

    // Forgot password: the mail first, then its code with the new password.
    m_resetPanel = new QWidget(this);
    auto *rl = new QVBoxLayout(m_resetPanel);
    rl->setContentsMargins(0, 0, 0, 0);
    auto *step1 = new QLabel(tr("Enter your account's email: a mail with a reset code goes to "
                                "it, valid 30 minutes."),
                             m_resetPanel);
    step1->setAccessibleName(tr("Reset mail description"));
    step1->setWordWrap(true);
    rl->addWidget(step1);
    auto *mailRow = new QHBoxLayout;
    m_resetEmail = new QLineEdit(m_resetPanel);
    m_resetEmail->setAccessibleName(tr("Reset email"));
    m_resetEmail->setPlaceholderText(tr("you@example.com"));
    m_sendReset = new QPushButton(tr("Send &reset mail"), m_resetPanel);
    m_sendReset->setAccessibleName(tr("Send reset mail"));
    m_sendReset->setAutoDefault(false);
    mailRow->addWidget(m_resetEmail, 1);
    mailRow->addWidget(m_sendReset);
    rl->addLayout(mailRow);
    auto *step2 = new QLabel(tr("Then enter the code from the mail (or paste its whole link) and "
                                "your new password."),
                             m_resetPanel);
    step2->setAccessibleName(tr("Reset code description"));
    step2->setWordWrap(true);
    rl->addWidget(step2);
    auto *rf = new QFormLayout;
    m_resetCode = new QLineEdit(m_resetPanel);
    m_resetCode->setAccessibleName(tr("Reset code"));
    m_resetPassword = new QLineEdit(m_resetPanel);
    m_resetPassword->setAccessibleName(tr("New password"));
    m_resetPassword->setEchoMode(QLineEdit::Password);
    m_resetPassword->setPlaceholderText(
            tr("at least %n characters, not your email", nullptr, Accounts::kMinPasswordChars));
    m_resetRepeat = new QLineEdit(m_resetPanel);
    m_resetRepeat->setAccessibleName(tr("Repeat new password"));
    m_resetRepeat->setEchoMode(QLineEdit::Password);
    rf->addRow(tr("&Code:"), m_resetCode);
    rf->addRow(tr("&New password:"), m_resetPassword);
    rf->addRow(tr("Re&peat:"), m_resetRepeat);
    rl->addLayout(rf);
    m_resetMessage = new QLabel(m_resetPanel);
    m_resetMessage->setTextFormat(Qt::PlainText);
    m_resetMessage->setAccessibleName(tr("Reset message"));
    m_resetMessage->setWordWrap(true);
    rl->addWidget(m_resetMessage);
    auto *resetButtons = new QHBoxLayout;
    auto *back = new QPushButton(tr("&Back to sign in"), m_resetPanel);
    back->setAccessibleName(tr("Back to sign in"));
    back->setAutoDefault(false);
    m_setPassword = new QPushButton(tr("&Set new password"), m_resetPanel);
    m_setPassword->setAccessibleName(tr("Set new password"));
    m_setPassword->setAutoDefault(false);
    resetButtons->addWidget(back);
    resetButtons->addStretch(1);
    resetButtons->addWidget(m_setPassword);
    rl->addLayout(resetButtons);
    m_resetPanel->hide();
    outer->addWidget(m_resetPanel);

    connect(m_signIn, &QPushButton::clicked, this, &LoginDialog::signIn);
    connect(m_password, &QLineEdit::returnPressed, this, &LoginDialog::signIn);
    connect(m_forgot, &QPushButton::clicked, this, [this] { showReset(true); });
    connect(back, &QPushButton::clicked, this, [this] { showReset(false); });
    connect(m_sendReset, &QPushButton::clicked, this, &LoginDialog::sendResetMail);
    connect(m_resetEmail, &QLineEdit::returnPressed, this, &LoginDialog::sendResetMail);
    connect(m_setPassword, &QPushButton::clicked, this, &LoginDialog::setNewPassword);
    connect(m_resetRepeat, &QLineEdit::returnPressed, this, &LoginDialog::setNewPassword);
}

void LoginDialog::showReset(bool reset)
{
    m_signInPanel->setVisible(!reset);
    m_resetPanel->setVisible(reset);
    m_signIn->setDefault(!reset);
    setWindowTitle(reset ? tr("Reset your password") : tr("Sign in to Mercato"));
    if (reset) {
        if (m_resetEmail->text().isEmpty())
            m_resetEmail->setText(m_email->text().trimmed());
        m_resetMessage->clear();
        (m_resetEmail->text().isEmpty() ? m_resetEmail : m_resetCode)->setFocus();
    } else {
        m_resetCode->clear();
        m_resetPassword->clear();
        m_resetRepeat->clear();
        (m_email->text().isEmpty() ? m_email : m_password)->setFocus();
    }
    adjustSize();
}

void LoginDialog::sayReset(const QString &text, bool error)
{
    m_resetMessage->setText(text);
    m_resetMessage->setStyleSheet(error ? QStringLiteral("color: #b00020;")
                                        : QStringLiteral("color: #1b5e20;"));
}

void LoginDialog::sendResetMail()
{
    const QString email = Accounts::normaliseEmail(m_resetEmail->text());
    if (!Accounts::isValidEmail(email)) {
        sayReset(tr("Enter the email address of your account."), true);
        return;
    }
    // The lookup, the token and the mail happen on the service's own thread: nothing here says
    // whether the address has an account.
    m_shop.passwordResets().request(email);
    sayReset(tr("If an account uses %1, a mail with a reset code is on its way. It can take a "
                "minute; look in the spam folder too.")
                     .arg(email),
             false);
    m_resetCode->setFocus();
}

void LoginDialog::setNewPassword()
{
    if (!m_setPassword->isEnabled())
        return;
    QString code = m_resetCode->text().trimmed();
    // The whole link from the mail works too.
    if (const QUrl link(code); link.hasQuery()) {
        const QString token = QUrlQuery(link).queryItemValue(QStringLiteral("token"));
        if (!token.isEmpty())
            code = token;
    }
    const QString password = m_resetPassword->text();
    if (code.isEmpty()) {
        sayReset(tr("Enter the code from the reset mail."), true);
        return;
    }
    if (password != m_resetRepeat->text()) {
        sayReset(tr("The two new passwords are not the same."), true);
        return;
    }
    m_setPassword->setEnabled(false);
    sayReset(tr("Setting your new password…"), false);
    Shop *shop = &m_shop;
    m_worker.run(
            this, [shop, code, password] { return shop->passwordResets().reset(code, password); },
            [this](const Status &s) {
                m_setPassword->setEnabled(true);
                if (!s) {
                    const bool badCode
                            = !s.error().fields.isEmpty()
                              && s.error().fields.first().field == QLatin1String("token");
                    if (badCode) {
                        sayReset(tr("That code does not work: it is wrong, used or older than 30 "
                                    "minutes. Ask for a new mail."),
                                 true);
                    } else {
                        QStringList lines;
                        for (const FieldError &f : s.error().fields)
                            lines.append(tr("New password: %1").arg(f.message));
                        sayReset(lines.isEmpty() ? s.error().detail : lines.join(QLatin1Char('\n')),
                                 true);
                    }
                    return;
                }
                m_resetPassword->clear();
                m_resetRepeat->clear();
                m_resetCode->clear();
                showReset(false);
                m_message->setStyleSheet(QStringLiteral("color: #1b5e20;"));
                m_message->setText(tr("Your password was changed. Sign in with the new one."));
            });
}

void LoginDialog::reset(const QString &message)
{
    m_password->clear();
    showReset(false);
    m_message->setStyleSheet(QStringLiteral("color: #b00020;"));
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
    m_message->setStyleSheet(QStringLiteral("color: #b00020;"));
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
