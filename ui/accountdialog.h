#pragma once
// My account: the signed-in seller's display name, profile picture, opt-in mails (each sale, low
// stock) and password, through the same services as PATCH /me, PUT /me/avatar and
// POST /me/password.

#include "model/accounts.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QFileDialog;
class QLabel;
class QLineEdit;
class QMessageBox;
class QPushButton;

namespace Mercato {

class ConsoleWorker;
class Shop;

class AccountDialog : public QDialog
{
    Q_OBJECT
public:
    AccountDialog(Shop &shop, ConsoleWorker &worker, QWidget *parent = nullptr);

    // Loads `seller`'s profile and shows the dialog.
    void openFor(const Account &seller);

Q_SIGNALS:
    // The profile was saved (the display name may have changed).
    void profileChanged(const Mercato::Account &seller);

private:
    void load();
    void saveProfile();
    void changePassword();
    void chooseAvatar();
    void uploadAvatar(const QString &path);
    void removeAvatar();
    void showAvatar(const QImage &image, bool hasAvatar);
    // A plain dialog with what is wrong, each field named as the dialog labels it.
    void showProblem(const QString &title, const Error &error);
    void say(const QString &text);

    Shop &m_shop;
    ConsoleWorker &m_worker;
    Account m_seller;
    QLineEdit *m_displayName = nullptr;
    QLabel *m_avatar = nullptr;
    QPushButton *m_chooseAvatar = nullptr;
    QPushButton *m_removeAvatar = nullptr;
    QPointer<QFileDialog> m_avatarDialog;
    QCheckBox *m_mailOnSale = nullptr;
    QCheckBox *m_mailOnLowStock = nullptr;
    QPushButton *m_saveProfile = nullptr;
    QLineEdit *m_currentPassword = nullptr;
    QLineEdit *m_newPassword = nullptr;
    QLineEdit *m_repeatPassword = nullptr;
    QPushButton *m_changePassword = nullptr;
    QLabel *m_message = nullptr;
    QPointer<QMessageBox> m_problem;
};

} // namespace Mercato
