#pragma once
// Settings: the store's details and logo (in the database; the logo through the ImageStore), the
// server's settings (in the config file, used at the next start) and the services' keys (Stripe,
// Cloudinary, SMTP) kept only in the OS keychain, shown masked, each with a connection test that
// runs on a thread of its own and can be cancelled.

#include "page.h"

#include "model/connectionchecks.h"

#include <QFutureWatcher>
#include <QPointer>

#include <atomic>
#include <memory>

class QImage;
class QCheckBox;
class QProgressBar;

class QFileDialog;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace Mercato {

class SettingsPage : public Page
{
    Q_OBJECT
public:
    SettingsPage(ConsoleContext context, QWidget *parent = nullptr);
    ~SettingsPage() override;
    void refresh() override;
    void forget() override;

    // The keychain entries of the secret fields, in the page's order.
    static QStringList secretNames();

private:
    enum class Service { Stripe, Cloudinary, Smtp };
    void loadSecrets();
    void saveSecrets();
    void saveNextSecret(const QList<QPair<QString, QString>> &changes, int index);
    void testConnection(Service service);
    void cancelTest();
    void testFinished();
    void setSecretsVisible(bool visible);

    void save();
    void chooseLogo();
    void chooseTlsFile(QLineEdit *field, const QString &title);
    void uploadLogo(const QString &path);
    void removeLogo();
    void showLogo(const QImage &image, bool hasLogo);

    QLineEdit *m_name = nullptr;
    QLineEdit *m_contact = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLineEdit *m_currency = nullptr;
    QLineEdit *m_timeZone = nullptr;
    QLineEdit *m_listen = nullptr;
    QLineEdit *m_publicUrl = nullptr;
    QLineEdit *m_cors = nullptr;
    QLineEdit *m_tlsCert = nullptr;
    QLineEdit *m_tlsKey = nullptr;
    QPointer<QFileDialog> m_tlsDialog;
    QPushButton *m_save = nullptr;
    QLabel *m_logo = nullptr;
    QPushButton *m_chooseLogo = nullptr;
    QPushButton *m_removeLogo = nullptr;
    QFileDialog *m_logoDialog = nullptr;

    QList<QLineEdit *> m_secrets; // in secretNames() order
    QLabel *m_keychainState = nullptr;
    QCheckBox *m_showSecrets = nullptr;
    QPushButton *m_saveSecrets = nullptr;
    QList<QPushButton *> m_testButtons;
    QProgressBar *m_testProgress = nullptr;
    QPushButton *m_cancelTest = nullptr;
    QLabel *m_testResult = nullptr;
    QFutureWatcher<ConnectionCheck> *m_test = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_secretsBusy = false;
    bool m_secretsLoaded = false;
};

} // namespace Mercato
