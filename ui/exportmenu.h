#pragma once
// The console's Export menu: a CSV file of the signed-in seller's orders, order lines,
// products, stock ledger or refunds (model/csvexport.h), written on a thread of its own into a
// temporary file that replaces the chosen file only once complete, with a progress dialog whose
// Cancel stops the writer before its next row and leaves no file behind.

#include "model/accounts.h"

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <functional>
#include <memory>

class QAction;
class QFileDialog;
class QMainWindow;
class QMenu;
class QProgressDialog;
class QTimer;

namespace Mercato {

class Shop;
namespace Export {
struct Progress;
}

class ExportMenu : public QObject
{
    Q_OBJECT
public:
    ExportMenu(Shop &shop, QMainWindow *window);
    // Cancels an export still running and waits for its thread.
    ~ExportMenu() override;

    QMenu *menu() const { return m_menu; }
    // The signed-in seller (empty id: locked, which cancels a running export).
    void setSeller(const Account &seller);
    // Writes `kind` (Export::kinds()) to `path`: what choosing a file in the dialog does.
    void exportTo(const QString &kind, const QString &path);
    void cancel();
    bool isRunning() const { return m_watcher.isRunning(); }
    // Whether files start with a UTF-8 byte order mark (a checkable action, remembered).
    bool bom() const;
    // Tests: runs on the export thread after each row written.
    void setAfterRowForTesting(std::function<void(qint64)> hook) { m_afterRow = std::move(hook); }

    struct Outcome
    {
        qint64 rows = 0;
        bool cancelled = false;
        QString error;
    };

Q_SIGNALS:
    // An export ended: `rows` written to `path`, or cancelled, or failed with `error`; only a
    // complete export leaves a file.
    void finished(const QString &kind, const QString &path, qint64 rows, bool cancelled,
                  const QString &error);

private:
    void chooseFile(const QString &kind);
    void showProgress();
    void done();
    void updateActions();

    Shop &m_shop;
    QMainWindow *m_window;
    QMenu *m_menu = nullptr;
    QList<QAction *> m_kindActions;
    QAction *m_bom = nullptr;
    QPointer<QFileDialog> m_fileDialog;
    QPointer<QProgressDialog> m_progressDialog;
    QTimer *m_progressTimer = nullptr;
    QString m_sellerId;
    QString m_kind;
    QString m_path;
    std::shared_ptr<Export::Progress> m_progress;
    std::function<void(qint64)> m_afterRow;
    QThreadPool m_pool;
    QFutureWatcher<Outcome> m_watcher;
};

} // namespace Mercato
