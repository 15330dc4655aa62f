#pragma once
// For review: signs in with the given seller (or shows the first-run wizard when the shop has
// none), saves a PNG of every page into `dir` via QWidget::grab(), then quits.

#include <QString>

namespace Mercato {

class MainWindow;

void runScreenshotTour(MainWindow &window, const QString &dir, const QString &email,
                       const QString &password);

} // namespace Mercato
