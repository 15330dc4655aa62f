#pragma once
// A console page: a title, an inline message line, and helpers for tables with empty states.
// Pages ask the ConsoleWorker for data and never touch the database themselves.

#include "model/accounts.h"
#include "model/result.h"

#include <QHash>

#include <QWidget>

#include <functional>
#include <optional>

class QLabel;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;
class QVBoxLayout;

namespace Mercato {

class ConsoleWorker;
class RowsModel;
class ServerMonitor;
class Shop;

struct ConsoleContext
{
    Shop &shop;
    ConsoleWorker &worker;
    ServerMonitor *monitor = nullptr;
};

class Page : public QWidget
{
    Q_OBJECT
public:
    Page(const QString &name, const QString &title, ConsoleContext context,
         QWidget *parent = nullptr);

    QString name() const { return objectName(); }
    // The signed-in seller changed (empty id: locked). Reloads.
    void setSeller(const Account &seller);
    const Account &seller() const { return m_seller; }
    // Reloads the page's data in the worker.
    virtual void refresh() = 0;
    // Reload asked for by a model event: bursts are merged so that at most one reload is in
    // the worker's queue and one more waits behind it (events during a reload ask for it).
    void requestRefresh();
    // Reloads run through requestRefresh() since the page was made (tests).
    int reloadsRun() const { return m_reloadsRun; }
    // The console was locked: drop what must not stay on screen (secrets).
    virtual void forget() {}
    // Selects the row with this id when the page shows it (tray messages open a row).
    virtual void selectId(const QString &id) { Q_UNUSED(id) }

protected:
    QVBoxLayout *body() const { return m_body; }
    ConsoleContext &ctx() { return m_ctx; }
    // An inline message under the title (errors in red); empty clears it.
    void showMessage(const QString &text, bool error = false);
    void showError(const Error &error);
    // A sortable table over `model` through `proxy`, wrapped with an empty-state text.
    // `noMatchText`, when given and not empty, replaces that text: what a search or filter that
    // hides every row says ("No product matches …").
    QWidget *tableWithEmptyState(QTableView *view, RowsModel *model, QSortFilterProxyModel *proxy,
                                 const QString &accessibleName, const QString &emptyText,
                                 std::function<QString()> noMatchText = {});
    // Shows the table or its empty-state text again (a search changed).
    void updateEmptyState(QTableView *view);
    // The id of the selected row of a view over a proxy of RowsModel, or empty.
    static QString selectedId(QTableView *view);
    static void selectRowWithId(QTableView *view, const QString &id);

private:
    ConsoleContext m_ctx;
    Account m_seller;
    QVBoxLayout *m_body = nullptr;
    QLabel *m_message = nullptr;
    bool m_reloadRunning = false;
    bool m_reloadAgain = false;
    int m_reloadsRun = 0;
    QHash<QTableView *, std::function<void()>> m_emptyStates;
};

// Every item of a keyset-paged list (at most `maxRows`), fetched page by page; for the worker.
template<typename Item, typename PageT, typename Fetch>
Result<QList<Item>> fetchAll(Fetch fetch, int maxRows = 1000)
{
    QList<Item> all;
    QString cursor;
    do {
        Result<PageT> page = fetch(cursor);
        if (!page)
            return page.error();
        all += page->items;
        cursor = page->nextCursor;
    } while (!cursor.isEmpty() && all.size() < maxRows);
    return all;
}

QString formatMoney(qint64 cents, const QString &currency);
// An amount typed in a field, "4.90" (or "4,90", "4"), as minor units; nullopt for anything
// else. amountText writes one back the same way ("4.90").
std::optional<qint64> parseAmount(const QString &text);
QString amountText(qint64 cents);
QString formatTime(qint64 ms);
// "Field: message" lines of a validation error, or its detail.
QString describeError(const Error &error);
// The same lines for a plain dialog: each field as the console labels it (`labels` maps the
// service's field name, with or without an [index], to the label), then what is wrong.
QString plainProblems(const Error &error, const QHash<QString, QString> &labels);

} // namespace Mercato
