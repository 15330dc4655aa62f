#pragma once
// Server: the URL customers use, workers, live requests per second and error rate, and the
// last requests. Reads only in-memory counters, so it refreshes on the GUI thread.

#include "page.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace Mercato {

class ServerPage : public Page
{
    Q_OBJECT
public:
    ServerPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;

private:
    void tick();
    void toggleServing();

    QLineEdit *m_url = nullptr;
    QLabel *m_state = nullptr;
    QPushButton *m_switch = nullptr;
    QLabel *m_workers = nullptr;
    QLabel *m_rate = nullptr;
    QLabel *m_errors = nullptr;
    QLabel *m_total = nullptr;
    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QTimer *m_timer = nullptr;
    quint64 m_lastCount = 0;
    quint64 m_lastErrors = 0;
    qint64 m_lastAt = 0;
};

} // namespace Mercato
