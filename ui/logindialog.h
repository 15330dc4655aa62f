#pragma once
// Sign-in of a seller: email and password checked by the accounts service on the worker.

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

    Shop &m_shop;
    ConsoleWorker &m_worker;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QLabel *m_message = nullptr;
    QPushButton *m_signIn = nullptr;
};

} // namespace Mercato
