#include "exportmenu.h"

#include "model/csvexport.h"
#include "model/database.h"
#include "model/shop.h"

#include <QAction>
#include <QDate>
#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QLocale>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QtConcurrent>

namespace Mercato {

namespace {

const QString kBomKey = QStringLiteral("export/bom");

QSettings consoleSettings()
{
    return QSettings(QStringLiteral("Mercato"), QStringLiteral("console"));
}

// The menu text and the name in messages of each kind of Export::kinds().
struct KindText
{
    QString kind;
    QString action;
    QString name;
};

QList<KindText> kindTexts()
{
    return {{QStringLiteral("orders"), ExportMenu::tr("&Orders…"), ExportMenu::tr("orders")},
            {QStringLiteral("lines"), ExportMenu::tr("Order &lines…"),
             ExportMenu::tr("order lines")},
            {QStringLiteral("products"), ExportMenu::tr("&Products…"), ExportMenu::tr("products")},
            {QStringLiteral("stock-ledger"), ExportMenu::tr("&Stock ledger…"),
             ExportMenu::tr("stock ledger")},
            {QStringLiteral("refunds"), ExportMenu::tr("&Refunds…"), ExportMenu::tr("refunds")}};
}

QString nameOf(const QString &kind)
{
    for (const KindText &k : kindTexts()) {
        if (k.kind == kind)
            return k.name;
    }
    return kind;
}

} // namespace

ExportMenu::ExportMenu(Shop &shop, QMainWindow *window)
    : QObject(window)
    , m_shop(shop)
    , m_window(window)
{
    // One export at a time, on a thread of its own: the console's worker keeps loading pages.
    m_pool.setMaxThreadCount(1);
    m_pool.setObjectName(QStringLiteral("console export"));

    m_menu = new QMenu(tr("E&xport"), window);
    m_menu->setObjectName(QStringLiteral("exportMenu"));
    m_menu->setAccessibleName(tr("Export"));
    for (const KindText &k : kindTexts()) {
        QAction *a = m_menu->addAction(k.action, this, [this, kind = k.kind] { chooseFile(kind); });
        a->setObjectName(QStringLiteral("export-") + k.kind);
        a->setStatusTip(tr("Save your %1 as a CSV file").arg(k.name));
        m_kindActions.append(a);
    }
    m_menu->addSeparator();
    m_bom = m_menu->addAction(tr("UTF-8 &BOM for spreadsheets"));
    m_bom->setObjectName(QStringLiteral("exportBom"));
    m_bom->setStatusTip(tr("Start the files with a byte order mark so that spreadsheet programs "
                           "read accents correctly"));
    m_bom->setCheckable(true);
    m_bom->setChecked(consoleSettings().value(kBomKey, true).toBool());
    connect(m_bom, &QAction::toggled, this,
            [](bool on) { consoleSettings().setValue(kBomKey, on); });

    m_progressTimer = new QTimer(this);
    m_progressTimer->setInterval(100);
    connect(m_progressTimer, &QTimer::timeout, this, &ExportMenu::showProgress);
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &ExportMenu::done);
    updateActions();
}

ExportMenu::~ExportMenu()
{
    if (m_progress)
        m_progress->cancel.store(true);
    m_watcher.disconnect(this);
    m_pool.waitForDone();
}

bool ExportMenu::bom() const
{
    return m_bom->isChecked();
}

void ExportMenu::setSeller(const Account &seller)
{
    m_sellerId = seller.id;
    if (m_sellerId.isEmpty()) {
        cancel();
        if (m_fileDialog)
            m_fileDialog->reject();
    }
    updateActions();
}

void ExportMenu::updateActions()
{
    const bool usable = !m_sellerId.isEmpty() && !isRunning();
    for (QAction *a : std::as_const(m_kindActions))
        a->setEnabled(usable);
}

void ExportMenu::chooseFile(const QString &kind)
{
    if (m_sellerId.isEmpty() || isRunning())
        return;
    // A fresh dialog each time, in the folder used last (Documents the first time).
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (m_fileDialog) {
        folder = m_fileDialog->directory().absolutePath();
        delete m_fileDialog;
    }
    m_fileDialog = new QFileDialog(m_window, tr("Export %1 as CSV").arg(nameOf(kind)), folder);
    m_fileDialog->setAccessibleName(tr("Export file"));
    m_fileDialog->setAcceptMode(QFileDialog::AcceptSave);
    m_fileDialog->setFileMode(QFileDialog::AnyFile);
    m_fileDialog->setNameFilter(tr("CSV files (*.csv)"));
    m_fileDialog->setDefaultSuffix(QStringLiteral("csv"));
    m_fileDialog->selectFile(
            QStringLiteral("%1-%2.csv").arg(kind, QDate::currentDate().toString(Qt::ISODate)));
    connect(m_fileDialog, &QFileDialog::fileSelected, this,
            [this, kind](const QString &path) { exportTo(kind, path); });
    m_fileDialog->open();
}

void ExportMenu::exportTo(const QString &kind, const QString &path)
{
    if (path.isEmpty() || m_sellerId.isEmpty() || isRunning())
        return;
    m_kind = kind;
    m_path = path;
    m_progress = std::make_shared<Export::Progress>();

    auto *dialog = new QProgressDialog(m_window);
    dialog->setWindowTitle(tr("Export"));
    dialog->setAccessibleName(tr("Export progress"));
    auto *label = new QLabel(dialog);
    label->setTextFormat(Qt::PlainText);
    label->setAccessibleName(tr("Export progress text"));
    dialog->setLabel(label);
    auto *cancelButton = new QPushButton(tr("&Cancel"), dialog);
    cancelButton->setAccessibleName(tr("Cancel export"));
    dialog->setCancelButton(cancelButton);
    dialog->setAutoClose(false);
    dialog->setAutoReset(false);
    dialog->setRange(0, 0); // busy until the rows are counted
    dialog->setLabelText(tr("Exporting %1…").arg(nameOf(kind)));
    // Short exports end before the dialog would flash on screen.
    dialog->setMinimumDuration(300);
    dialog->setValue(0); // starts the minimum duration's clock
    connect(dialog, &QProgressDialog::canceled, this, &ExportMenu::cancel);
    m_progressDialog = dialog;
    m_progressTimer->start();
    m_window->statusBar()->showMessage(tr("Exporting %1…").arg(nameOf(kind)));

    Export::Options options;
    options.bom = bom();
    options.sellerId = m_sellerId;
    options.progress = m_progress.get();
    options.afterRow = m_afterRow;
    Database *database = &m_shop.database();
    // The progress is shared: it outlives this object if the window goes first.
    m_watcher.setFuture(QtConcurrent::run(
            &m_pool, [database, kind, path, options, progress = m_progress]() -> Outcome {
                Outcome outcome;
                // A temporary file beside the target, renamed over it only when complete.
                QSaveFile file(path);
                if (!file.open(QIODevice::WriteOnly)) {
                    outcome.error = file.errorString();
                } else if (auto written
                           = Export::write(database->connection(), kind, &file, options);
                           !written) {
                    outcome.error = file.error() != QFileDevice::NoError ? file.errorString()
                                                                         : written.error().detail;
                    file.cancelWriting();
                } else if (written->cancelled) {
                    outcome.cancelled = true;
                    file.cancelWriting();
                } else if (!file.commit()) {
                    outcome.error = file.errorString();
                } else {
                    outcome.rows = written->rows;
                }
                database->releaseThreadConnection();
                return outcome;
            }));
    updateActions();
}

void ExportMenu::cancel()
{
    if (!m_progress || !isRunning())
        return;
    m_progress->cancel.store(true);
    if (m_progressDialog)
        m_progressDialog->setLabelText(tr("Cancelling…"));
}

void ExportMenu::showProgress()
{
    if (!m_progress || !m_progressDialog)
        return;
    const qint64 total = m_progress->total.load();
    const qint64 written = m_progress->written.load();
    if (m_progress->cancel.load())
        return;
    const QLocale locale;
    if (total >= 0) {
        // QProgressBar counts in int: scale big exports to per mille.
        const bool scaled = total > 1000000;
        m_progressDialog->setMaximum(scaled ? 1000 : int(std::max<qint64>(total, 1)));
        m_progressDialog->setValue(scaled ? int(written * 1000 / total) : int(written));
        m_progressDialog->setLabelText(
                tr("Exporting %1: %2 of %3 rows written…")
                        .arg(nameOf(m_kind), locale.toString(written), locale.toString(total)));
    } else {
        m_progressDialog->setLabelText(tr("Exporting %1…").arg(nameOf(m_kind)));
    }
}

void ExportMenu::done()
{
    const Outcome outcome = m_watcher.result();
    m_progressTimer->stop();
    if (m_progressDialog) {
        // Hidden at once: a later export makes a dialog of its own.
        m_progressDialog->hide();
        m_progressDialog->deleteLater();
    }
    m_progress.reset();
    updateActions();
    const QString file = QDir::toNativeSeparators(m_path);
    if (outcome.cancelled) {
        m_window->statusBar()->showMessage(tr("Export cancelled; no file was written."));
    } else if (!outcome.error.isEmpty()) {
        const QString text
                = tr("Could not export %1 to %2: %3").arg(nameOf(m_kind), file, outcome.error);
        m_window->statusBar()->showMessage(text);
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Export failed"), text,
                                    QMessageBox::Ok, m_window);
        box->setAccessibleName(tr("Export failed"));
        box->setTextFormat(Qt::PlainText);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    } else {
        m_window->statusBar()->showMessage(
                tr("%n row(s) of %1 saved to %2", nullptr, int(outcome.rows))
                        .arg(nameOf(m_kind), file));
    }
    Q_EMIT finished(m_kind, m_path, outcome.rows, outcome.cancelled, outcome.error);
}

} // namespace Mercato
