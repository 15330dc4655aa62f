#include "consolefixture.h"

#include "testsupport.h"

#include <QAccessible>
#include <QCoreApplication>
#include <QDir>
#include <QMenu>
#include <QMenuBar>
#include <QPixmap>
#include <QTest>

namespace Mercato::Test {

void type(QWidget *root, const QString &name, const QString &text)
{
    auto *edit = named<QLineEdit>(root, name);
    QVERIFY2(edit, qPrintable(name));
    edit->clear();
    QTest::keyClicks(edit, text);
}

void click(QWidget *root, const QString &name)
{
    auto *button = named<QAbstractButton>(root, name);
    QVERIFY2(button, qPrintable(name));
    QVERIFY2(button->isEnabled(), qPrintable(name + QStringLiteral(" is disabled")));
    QTest::mouseClick(button, Qt::LeftButton);
}

bool clickRow(QTableView *view, const QString &id)
{
    QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(); ++r) {
        const QModelIndex index = m->index(r, 0);
        if (index.data(Qt::UserRole + 1).toString() == id) {
            QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                              view->visualRect(index).center());
            return true;
        }
    }
    return false;
}

int rowOf(QTableView *view, const QString &id)
{
    QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(); ++r) {
        if (m->index(r, 0).data(Qt::UserRole + 1).toString() == id)
            return r;
    }
    return -1;
}

QString selectedRowId(QTableView *view)
{
    const QModelIndexList rows = view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(Qt::UserRole + 1).toString();
}

void snap(QWidget *w, const QString &name)
{
    const QString dir = QStringLiteral(MERCATO_SCREENSHOT_DIR);
    QDir().mkpath(dir);
    const QString engine = qEnvironmentVariableIsSet("MERCATO_TEST_PG_HOST")
                                   ? QStringLiteral("pg")
                                   : QStringLiteral("sqlite");
    const QString path = QStringLiteral("%1/console-%2-%3.png").arg(dir, name, engine);
    QCoreApplication::processEvents();
    const QPixmap pm = w->grab();
    QVERIFY2(!pm.isNull() && pm.save(path), qPrintable(path));
}

// The action of `menu` whose accessible name (what a screen reader says) is `name`.
QAction *menuAction(QMenu *menu, const QString &name)
{
    QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(menu);
    const QList<QAction *> actions = menu->actions();
    for (int i = 0; iface && i < iface->childCount(); ++i) {
        QAccessibleInterface *item = iface->child(i);
        if (item && item->text(QAccessible::Name) == name)
            return actions.value(i);
    }
    return nullptr;
}

// Opens the menu bar's menu named `menuName` with the mouse and clicks its item `itemName`.
void chooseFromMenu(QMainWindow *window, const QString &menuName, const QString &itemName)
{
    auto *menu = named<QMenu>(window, menuName);
    QVERIFY2(menu, qPrintable(menuName));
    QAction *action = menuAction(menu, itemName);
    QVERIFY2(action, qPrintable(itemName));
    QVERIFY2(action->isEnabled(), qPrintable(itemName + QStringLiteral(" is disabled")));
    QMenuBar *bar = window->menuBar();
    QTest::mouseClick(bar, Qt::LeftButton, {}, bar->actionGeometry(menu->menuAction()).center());
    QTRY_VERIFY(menu->isVisible());
    QTest::mouseClick(menu, Qt::LeftButton, {}, menu->actionGeometry(action).center());
    QTRY_VERIFY(!menu->isVisible());
}

Console::Console(TestServer &server)
    : monitor(
            server.metrics(), server.baseUrl(), [&server] { return server.server().isRunning(); },
            [&server] { return server.server().workerCount(); },
            MetricsMonitor::configFileIn(server.dataDir()),
            ServerSettings{
                    QStringLiteral("127.0.0.1:8080"), {}, {}, QStringLiteral("USD"), {}, {}, {}})
    , window(server.shop(), &monitor)
{
    monitor.setSwitch(MetricsMonitor::switchFor(server.server()));
}

} // namespace Mercato::Test
