#include "serverpage.h"

#include "rowsmodel.h"
#include "servermonitor.h"

#include <QClipboard>
#include <QDateTime>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>

namespace Mercato {

ServerPage::ServerPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Server"), tr("Server"), context, parent)
{
    auto *form = new QFormLayout;
    auto *urlRow = new QHBoxLayout;
    m_url = new QLineEdit(this);
    m_url->setReadOnly(true);
    m_url->setAccessibleName(tr("Customer URL"));
    auto *copy = new QPushButton(tr("&Copy"), this);
    copy->setAccessibleName(tr("Copy customer URL"));
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(copy);
    form->addRow(tr("Customers use:"), urlRow);
    auto label = [this](const QString &name) {
        auto *l = new QLabel(this);
        l->setTextFormat(Qt::PlainText);
        l->setAccessibleName(name);
        return l;
    };
    m_state = label(tr("Server state"));
    m_workers = label(tr("Worker threads"));
    m_rate = label(tr("Requests per second"));
    m_errors = label(tr("Error rate"));
    m_total = label(tr("Requests served"));
    auto *stateRow = new QHBoxLayout;
    m_switch = new QPushButton(this);
    m_switch->setAccessibleName(tr("Serving switch"));
    stateRow->addWidget(m_state, 1);
    stateRow->addWidget(m_switch);
    form->addRow(tr("State:"), stateRow);
    form->addRow(tr("Worker threads:"), m_workers);
    form->addRow(tr("Requests per second:"), m_rate);
    form->addRow(tr("Error rate (5xx):"), m_errors);
    form->addRow(tr("Requests served:"), m_total);
    body()->addLayout(form);

    m_model = new RowsModel({tr("Time"), tr("Method"), tr("Route"), tr("Status"), tr("Duration")},
                            this);
    m_proxy = new QSortFilterProxyModel(this);
    m_view = new QTableView(this);
    body()->addWidget(new QLabel(tr("<b>Last 200 requests</b>"), this));
    body()->addWidget(tableWithEmptyState(m_view, m_model, m_proxy, tr("Recent requests"),
                                          tr("No requests yet. Open the URL above in a browser, or "
                                             "point your shop's front end at it.")),
                      1);
    m_view->sortByColumn(0, Qt::DescendingOrder);

    connect(copy, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(m_url->text());
        showMessage(tr("Copied %1 to the clipboard.").arg(m_url->text()));
    });
    connect(m_switch, &QPushButton::clicked, this, &ServerPage::toggleServing);
    m_timer = new QTimer(this);
    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &ServerPage::tick);
    m_timer->start();
    tick();
}

void ServerPage::refresh()
{
    tick();
}

void ServerPage::toggleServing()
{
    ServerMonitor *monitor = ctx().monitor;
    if (!monitor || !monitor->canSwitch() || monitor->isSwitching())
        return;
    const bool on = !monitor->isRunning();
    if (!on)
        showMessage(tr("Stopping: requests in flight may finish first…"));
    const QPointer<ServerPage> self(this);
    monitor->setServing(on, [self, on](const Status &s) {
        if (!self)
            return;
        if (!s)
            self->showError(s.error());
        else
            self->showMessage(
                    on ? tr("The API accepts connections again.")
                       : tr("The API no longer accepts connections. Start it again when ready."));
        self->tick();
    });
    tick();
}

void ServerPage::tick()
{
    ServerMonitor *monitor = ctx().monitor;
    if (!monitor) {
        m_state->setText(tr("Not serving in this window"));
        m_switch->hide();
        return;
    }
    m_url->setText(monitor->publicUrl());
    const bool running = monitor->isRunning();
    const bool stopping = monitor->isSwitching();
    m_state->setText(stopping ? tr("Stopping…") : running ? tr("Serving") : tr("Stopped"));
    m_switch->setVisible(monitor->canSwitch());
    m_switch->setEnabled(!stopping);
    m_switch->setText(stopping  ? tr("Stopping…")
                      : running ? tr("S&top serving")
                                : tr("St&art serving"));
    m_workers->setText(QString::number(monitor->workerCount()));
    const quint64 count = monitor->requestCount();
    const quint64 errors = monitor->errorCount();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (m_lastAt > 0 && now > m_lastAt) {
        const double seconds = double(now - m_lastAt) / 1000.0;
        const quint64 served = count - m_lastCount;
        m_rate->setText(QString::number(double(served) / seconds, 'f', 1));
        m_errors->setText(served == 0 ? QStringLiteral("0 %")
                                      : QString::number(100.0 * double(errors - m_lastErrors)
                                                                / double(served),
                                                        'f', 1)
                                                + QStringLiteral(" %"));
    } else {
        m_rate->setText(QStringLiteral("0.0"));
        m_errors->setText(QStringLiteral("0 %"));
    }
    m_lastCount = count;
    m_lastErrors = errors;
    m_lastAt = now;
    m_total->setText(QString::number(count));
    if (!isVisible() && m_model->rowCount() > 0)
        return;
    const QList<RequestLogEntry> recent = monitor->recentRequests();
    QList<TableRow> rows;
    rows.reserve(recent.size());
    int i = 0;
    for (const RequestLogEntry &r : recent) {
        const QString time
                = QDateTime::fromMSecsSinceEpoch(r.atMs).toString(QStringLiteral("HH:mm:ss.zzz"));
        const QString duration
                = r.durationUs < 1000
                          ? QStringLiteral("%1 µs").arg(r.durationUs)
                          : QStringLiteral("%1 ms").arg(double(r.durationUs) / 1000.0, 0, 'f', 1);
        rows.append({QString::number(i),
                     {time, r.method, r.route, QString::number(r.status), duration},
                     {qint64(r.atMs) * 1000 + i, r.method, r.route, r.status, r.durationUs},
                     r.status >= 500});
        ++i;
    }
    m_model->setRows(rows);
}

} // namespace Mercato
