#pragma once
// The seller's console: a page list on the left, the page on the right, and a status bar
// with the URL the API serves on and its live request count. It acts as one signed-in seller
// at a time; the first run shows a setup wizard, later runs a sign-in dialog.

#include "model/accounts.h"

#include <QMainWindow>
#include <QMap>

class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QSystemTrayIcon;

namespace Mercato {

class AccountDialog;
class ConsoleWorker;
class ExportMenu;
class LoginDialog;
class Page;
class ServerMonitor;
class SetupWizard;
class Shop;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // `monitor` may be null (no server in this process); it must outlive the window.
    MainWindow(Shop &shop, ServerMonitor *monitor, QWidget *parent = nullptr);
    ~MainWindow() override;

    static QStringList pageNames();
    void showPage(const QString &name);
    QString currentPage() const;
    Page *page(const QString &name) const;

    // Shows the first-run wizard when the shop has no seller yet, else the sign-in dialog.
    void begin();
    // Hides the shop's data and asks for a sign-in again (Ctrl+L).
    void lock();
    const Account &seller() const { return m_seller; }
    ConsoleWorker &worker() { return *m_worker; }
    SetupWizard *setupWizard() const { return m_wizard; }
    LoginDialog *loginDialog() const { return m_login; }
    // My account (Shop menu): the signed-in seller's profile, picture, mails and password.
    AccountDialog *accountDialog() const { return m_account; }
    void openAccount();
    // The Export menu: CSV files of the signed-in seller's data.
    ExportMenu *exports() const { return m_exports; }
    // Unread notifications of the signed-in seller (the tray's and page list's badge).
    qint64 unreadCount() const { return m_unread; }
    // What clicking the last tray message does: opens its page and row.
    void openAlert();
    // Shows `page` and selects the row with `id` there.
    void openRow(const QString &page, const QString &id);

Q_SIGNALS:
    // A tray message was shown (or would have been, without a tray): its kind and page.
    void alertShown(const QString &kind, const QString &page);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void addPage(Page *page, const QString &label);
    void signIn(const Account &seller);
    void showLogin(const QString &message = {});
    void refreshStatus();
    void onNotification(const QString &userId, const QString &kind, const QString &title);
    void refreshVisible();
    void setUnreadCount(qint64 count);
    // The owner-only pages (Sellers) listed for the store's owner only.
    void showOwnerPages(bool owner);

    Shop &m_shop;
    ServerMonitor *m_monitor;
    ConsoleWorker *m_worker = nullptr;
    Account m_seller;
    QListWidget *m_pages = nullptr;
    QStackedWidget *m_stack = nullptr;
    QWidget *m_lockedPage = nullptr;
    QLabel *m_lockedText = nullptr;
    QPushButton *m_setUpStore = nullptr;
    QMap<QString, Page *> m_pageByName;
    QAction *m_goSellers = nullptr;
    QLabel *m_apiUrl = nullptr;
    QLabel *m_requests = nullptr;
    QLabel *m_user = nullptr;
    SetupWizard *m_wizard = nullptr;
    LoginDialog *m_login = nullptr;
    AccountDialog *m_account = nullptr;
    QAction *m_accountAction = nullptr;
    ExportMenu *m_exports = nullptr;
    QSystemTrayIcon *m_tray = nullptr;
    QString m_trayPage;
    QString m_trayId;
    qint64 m_unread = 0;
};

} // namespace Mercato
