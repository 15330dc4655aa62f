#pragma once
// Settings: the store's details and logo (in the database; the logo through the ImageStore) and
// the server's settings (in the config file, used at the next start). Secret fields are not here
// yet: see the page's note.

#include "page.h"

class QImage;

class QFileDialog;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace Mercato {

class SettingsPage : public Page
{
    Q_OBJECT
public:
    SettingsPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;

private:
    void save();
    void chooseLogo();
    void uploadLogo(const QString &path);
    void removeLogo();
    void showLogo(const QImage &image, bool hasLogo);

    QLineEdit *m_name = nullptr;
    QLineEdit *m_contact = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLineEdit *m_currency = nullptr;
    QLineEdit *m_timeZone = nullptr;
    QLineEdit *m_listen = nullptr;
    QLineEdit *m_publicUrl = nullptr;
    QLineEdit *m_cors = nullptr;
    QPushButton *m_save = nullptr;
    QLabel *m_logo = nullptr;
    QPushButton *m_chooseLogo = nullptr;
    QPushButton *m_removeLogo = nullptr;
    QFileDialog *m_logoDialog = nullptr;
};

} // namespace Mercato
