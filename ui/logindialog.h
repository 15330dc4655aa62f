#pragma once
// Sign-in of a seller: email and password checked by the accounts service on the worker. Forgot
// password? asks for the reset mail and takes the code from it with a new password, through the
// same service as POST /auth/forgot-password and /auth/reset-password.

#include "model/accounts.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace Mercato {

class ConsoleWorker;
class Shop;

class LoginDialog : public QDialog
{
    Q_OBJECT
public:
    LoginDialog(Shop &shop, ConsoleWorker &worker, QWidget *parent = nullptr);

    // Clears the password and the message, keeps the email for the next seller to change.
    void reset(const QString &message = {});

Q_SIGNALS:
    void signedIn(const Mercato::Account &seller);

private:
    void signIn();
    void showReset(bool reset);
    void sendResetMail();
    void setNewPassword();
    void sayReset(const QString &text, bool error);

    Shop &m_shop;
    ConsoleWorker &m_worker;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QLabel *m_message = nullptr;
    QPushButton *m_signIn = nullptr;
    QPushButton *m_forgot = nullptr;
    QWidget *m_signInPanel = nullptr;
    QWidget *m_resetPanel = nullptr;
    QLineEdit *m_resetEmail = nullptr;
    QPushButton *m_sendReset = nullptr;
    QLineEdit *m_resetCode = nullptr;
    QLineEdit *m_resetPassword = nullptr;
    QLineEdit *m_resetRepeat = nullptr;
    QPushButton *m_setPassword = nullptr;
    QLabel *m_resetMessage = nullptr;
};

} // namespace Mercato
