#pragma once
// What the console's test suites share: the console over a TestServer (with its metrics
// monitor), controls found by their accessible names and clicked with the mouse, table rows
// picked by id, and screenshots for review.

#include "app/console/metricsmonitor.h"
#include "ui/mainwindow.h"

#include <QAbstractButton>
#include <QLineEdit>
#include <QMainWindow>
#include <QMenu>
#include <QString>
#include <QTableView>
#include <QWidget>

namespace Mercato::Test {

class TestServer;

// The control under `root` whose accessible name is `name`, visible ones first.
template<typename T>
T *named(QWidget *root, const QString &name)
{
    const auto all = root->findChildren<T *>();
    for (T *w : all) {
        if (w->accessibleName() == name && w->isVisibleTo(root->window()))
            return w;
    }
    for (T *w : all) {
        if (w->accessibleName() == name)
            return w;
    }
    return nullptr;
}

// Types `text` into the line edit `name` (cleared first). A missing control fails the test.
void type(QWidget *root, const QString &name, const QString &text);
// Clicks the enabled button `name`. A missing or disabled button fails the test.
void click(QWidget *root, const QString &name);
// Clicks the row of `view` whose id is `id`; false when no row has it.
bool clickRow(QTableView *view, const QString &id);
// The row of `view` whose id is `id` (-1: none).
int rowOf(QTableView *view, const QString &id);
QString selectedRowId(QTableView *view);
// Saves a picture of `w` into the build tree (build/screenshots) for review, named
// console-<name>-<engine>.png.
void snap(QWidget *w, const QString &name);

// The action of `menu` whose accessible name (what a screen reader says) is `name`.
QAction *menuAction(QMenu *menu, const QString &name);
// Opens the menu bar's menu named `menuName` with the mouse and clicks its item `itemName`.
void chooseFromMenu(QMainWindow *window, const QString &menuName, const QString &itemName);

// The console's main window over `server`, as the mercato application builds it.
struct Console
{
    explicit Console(TestServer &server);
    MetricsMonitor monitor;
    MainWindow window;
};

} // namespace Mercato::Test
