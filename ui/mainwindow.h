#pragma once
// The seller's console: a page list on the left, the page on the right, and a status bar
// with the URL the API serves on and its live request count.

#include <QMainWindow>

#include <functional>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace Mercato {

class Shop;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(Shop &shop, const QString &apiUrl, std::function<quint64()> requestCount,
               QWidget *parent = nullptr);

    static QStringList pageNames();
    void showPage(const QString &name);
    QString currentPage() const;

private:
    void addPage(const QString &name, QWidget *page);
    void refreshStatus();

    Shop &m_shop;
    std::function<quint64()> m_requestCount;
    QListWidget *m_pages = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_apiUrl = nullptr;
    QLabel *m_requests = nullptr;
};

} // namespace Mercato
