#pragma once
// Settings: the store's details and logo (in the database; the logo through the ImageStore); for
// the store's owner, its postal address, tax id and payment instructions (as PATCH /owner/store)
// and its shipping options (as /owner/shipping-options); the server's settings (in the config
// file, used at the next start) and the services' keys (Stripe, Cloudinary, SMTP) kept only in
// the OS keychain, shown masked, each with a connection test that runs on a thread of its own
// and can be cancelled. The page scrolls where the window is too small for it.

#include "page.h"

#include "model/connectionchecks.h"
#include "model/shippingoptions.h"
#include "model/taxrates.h"

#include <QFutureWatcher>
#include <QPointer>

#include <atomic>
#include <memory>

class QImage;
class QCheckBox;
class QGroupBox;
class QMessageBox;
class QSortFilterProxyModel;
class QTableView;
class QProgressBar;

class QFileDialog;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace Mercato {

class RowsModel;

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

    // The owner's part: address, tax id, payment instructions, shipping options.
    void loadOwnerSettings();
    void showOwnerSettings(bool owner);
    void saveStoreProfile();
    void editShippingOption(bool add);
    void deleteShippingOption();
    void showProblem(const QString &title, const QString &text);
    // The owner's tax rates and invoice prefixes (as PUT /owner/tax-rates and PATCH
    // /owner/store): rows are edited here and saved together.
    void editTaxRate(bool add);
    void removeTaxRate();
    void showTaxRows();
    void saveTaxAndInvoices();
    // The rows as PUT /owner/tax-rates' body (each rate as a number when it reads as one).
    QJsonObject taxJson(const QList<QPair<QString, QString>> &rows) const;

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

    QGroupBox *m_ownerStore = nullptr;
    QGroupBox *m_shipping = nullptr;
    QLabel *m_ownerNote = nullptr;
    QList<QLineEdit *> m_address; // name, line1, line2, city, region, postal code, country
    QLineEdit *m_taxId = nullptr;
    QPlainTextEdit *m_paymentInstructions = nullptr;
    QPushButton *m_saveProfile = nullptr;
    RowsModel *m_optionModel = nullptr;
    QSortFilterProxyModel *m_optionProxy = nullptr;
    QTableView *m_optionView = nullptr;
    QPushButton *m_addOption = nullptr;
    QPushButton *m_editOption = nullptr;
    QPushButton *m_deleteOption = nullptr;
    QList<ShippingOption> m_options;
    QGroupBox *m_tax = nullptr;
    QLineEdit *m_defaultRate = nullptr;
    RowsModel *m_taxModel = nullptr;
    QSortFilterProxyModel *m_taxProxy = nullptr;
    QTableView *m_taxView = nullptr;
    QPushButton *m_addRate = nullptr;
    QPushButton *m_editRate = nullptr;
    QPushButton *m_removeRate = nullptr;
    QLineEdit *m_invoicePrefix = nullptr;
    QLineEdit *m_creditNotePrefix = nullptr;
    QPushButton *m_saveTax = nullptr;
    QList<QPair<QString, QString>> m_taxRows; // country, rate as typed; in the table's order
    bool m_taxRowsEdited = false;
    QPointer<QMessageBox> m_problem;
    QString m_currencyShown; // the store's currency, for prices

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
