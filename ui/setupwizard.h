#pragma once
// The first-run wizard: the store's details, then the owner's seller account (created through
// the accounts service on the console worker).

#include "model/accounts.h"

#include <QWizard>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

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

Q_SIGNALS:
    // The owner exists and may use the console.
    void ownerCreated(const Mercato::Account &owner);

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
    bool m_busy = false;
    bool m_created = false;
};

} // namespace Mercato
