#pragma once
// The first-run wizard: the store's details, then the owner's seller account (created through
// the accounts service on the console worker).

#include "model/accounts.h"

#include <QWizard>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QMessageBox;

namespace Mercato {

struct ConsoleContext;
class ConsoleWorker;
class ServerMonitor;
class Shop;

class SetupWizard : public QWizard
{
    Q_OBJECT
public:
    SetupWizard(Shop &shop, ConsoleWorker &worker, ServerMonitor *monitor,
                QWidget *parent = nullptr);

    bool validateCurrentPage() override;
    // Escape, Cancel or the window's close button: asks first, since the console cannot be
    // used before the owner's account exists.
    void reject() override;
    // The open "Stop setting up?" question, if any.
    QMessageBox *leaveQuestion() const { return m_leave; }

Q_SIGNALS:
    // The owner exists and may use the console.
    void ownerCreated(const Mercato::Account &owner);
    // The person chose to stop before the owner's account was made.
    void abandoned();

private:
    void createOwner();

    Shop &m_shop;
    ConsoleWorker &m_worker;
    ServerMonitor *m_monitor;
    QLineEdit *m_storeName = nullptr;
    QComboBox *m_currency = nullptr;
    QComboBox *m_timeZone = nullptr;
    QLineEdit *m_ownerName = nullptr;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QLineEdit *m_confirm = nullptr;
    QLabel *m_storeError = nullptr;
    QLabel *m_ownerError = nullptr;
    QCheckBox *m_demo = nullptr;
    QMessageBox *m_leave = nullptr;
    bool m_busy = false;
    bool m_created = false;
};

} // namespace Mercato
