#include "accountdialog.h"

#include "consoleworker.h"
#include "page.h"

#include "model/avatars.h"
#include "model/imagestore.h"
#include "model/sellermail.h"
#include "model/shop.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPixmap>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

namespace Mercato {

namespace {

constexpr qint64 kMaxPictureBytes = 8 * 1024 * 1024;

// The picture of an avatar URL of the local store (a remote one is not fetched), small.
QImage avatarThumbnail(Shop *shop, const QString &url)
{
    QImage image;
    auto *local = dynamic_cast<LocalImageStore *>(&shop->images());
    if (local && !url.isEmpty()) {
        const QString path = local->pathFor(QUrl(url).fileName());
        if (!path.isEmpty())
            image.load(path);
    }
    if (!image.isNull())
        image = image.scaled(64, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return image;
}

struct Loaded
{
    Result<Account> account;
    Result<SellerMailChoices> mail;
    QImage avatar;
};

} // namespace

AccountDialog::AccountDialog(Shop &shop, ConsoleWorker &worker, QWidget *parent)
    : QDialog(parent)
    , m_shop(shop)
    , m_worker(worker)
{
    setObjectName(QStringLiteral("accountDialog"));
    setAccessibleName(tr("My account"));
    setWindowTitle(tr("My account"));
    setMinimumWidth(460);
    auto *layout = new QVBoxLayout(this);

    auto *profile = new QGroupBox(tr("Profile"), this);
    auto *pf = new QFormLayout(profile);
    m_displayName = new QLineEdit(profile);
    m_displayName->setAccessibleName(tr("Display name"));
    m_displayName->setMaxLength(200);
    pf->addRow(tr("&Display name:"), m_displayName);
    m_avatar = new QLabel(profile);
    m_avatar->setAccessibleName(tr("Profile picture"));
    m_avatar->setTextFormat(Qt::PlainText);
    m_avatar->setMinimumSize(64, 64);
    m_chooseAvatar = new QPushButton(tr("C&hoose picture…"), profile);
    m_chooseAvatar->setAccessibleName(tr("Choose profile picture"));
    m_removeAvatar = new QPushButton(tr("&Remove picture"), profile);
    m_removeAvatar->setAccessibleName(tr("Remove profile picture"));
    m_removeAvatar->setEnabled(false);
    auto *avatarRow = new QHBoxLayout;
    avatarRow->addWidget(m_avatar);
    avatarRow->addWidget(m_chooseAvatar);
    avatarRow->addWidget(m_removeAvatar);
    avatarRow->addStretch(1);
    pf->addRow(tr("Picture:"), avatarRow);
    m_mailOnSale = new QCheckBox(tr("Mail me for each &sale"), profile);
    m_mailOnSale->setAccessibleName(tr("Mail me for each sale"));
    m_mailOnLowStock = new QCheckBox(tr("Mail me when a product runs &low"), profile);
    m_mailOnLowStock->setAccessibleName(tr("Mail me when a product runs low"));
    pf->addRow(tr("Mails:"), m_mailOnSale);
    pf->addRow(QString(), m_mailOnLowStock);
    m_saveProfile = new QPushButton(tr("Sa&ve profile"), profile);
    m_saveProfile->setAccessibleName(tr("Save profile"));
    auto *saveRow = new QHBoxLayout;
    saveRow->addStretch(1);
    saveRow->addWidget(m_saveProfile);
    pf->addRow(saveRow);
    layout->addWidget(profile);

    auto *password = new QGroupBox(tr("Password"), this);
    auto *wf = new QFormLayout(password);
    auto passwordEdit = [password](const QString &name) {
        auto *e = new QLineEdit(password);
        e->setAccessibleName(name);
        e->setEchoMode(QLineEdit::Password);
        return e;
    };
    m_currentPassword = passwordEdit(tr("Current password"));
    m_newPassword = passwordEdit(tr("New password"));
    m_newPassword->setPlaceholderText(
            tr("at least %n characters, not your email", nullptr, Accounts::kMinPasswordChars));
    m_repeatPassword = passwordEdit(tr("Repeat new password"));
    wf->addRow(tr("C&urrent password:"), m_currentPassword);
    wf->addRow(tr("&New password:"), m_newPassword);
    wf->addRow(tr("Re&peat new password:"), m_repeatPassword);
    m_changePassword = new QPushButton(tr("Change pass&word"), password);
    m_changePassword->setAccessibleName(tr("Change password"));
    auto *passwordRow = new QHBoxLayout;
    passwordRow->addStretch(1);
    passwordRow->addWidget(m_changePassword);
    wf->addRow(passwordRow);
    layout->addWidget(password);

    m_message = new QLabel(this);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setAccessibleName(tr("Account message"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #1b5e20;"));
    layout->addWidget(m_message);
    auto *buttons = new QDialogButtonBox(this);
    QPushButton *close = buttons->addButton(tr("Close"), QDialogButtonBox::RejectRole);
    close->setAccessibleName(tr("Close my account"));
    layout->addWidget(buttons);

    connect(close, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_saveProfile, &QPushButton::clicked, this, &AccountDialog::saveProfile);
    connect(m_changePassword, &QPushButton::clicked, this, &AccountDialog::changePassword);
    connect(m_chooseAvatar, &QPushButton::clicked, this, &AccountDialog::chooseAvatar);
    connect(m_removeAvatar, &QPushButton::clicked, this, &AccountDialog::removeAvatar);
    showAvatar({}, false);
}

void AccountDialog::openFor(const Account &seller)
{
    m_seller = seller;
    m_message->clear();
    m_currentPassword->clear();
    m_newPassword->clear();
    m_repeatPassword->clear();
    m_displayName->setText(seller.displayName);
    load();
    open();
}

void AccountDialog::load()
{
    Shop *shop = &m_shop;
    const QString id = m_seller.id;
    m_saveProfile->setEnabled(false);
    m_worker.run(
            this,
            [shop, id]() -> Loaded {
                Loaded out{shop->accounts().account(id),
                           SellerMail::choices(shop->database().connection(), id),
                           {}};
                if (out.account)
                    out.avatar = avatarThumbnail(shop, out.account->avatarUrl);
                return out;
            },
            [this, id](const Loaded &loaded) {
                if (m_seller.id != id)
                    return;
                m_saveProfile->setEnabled(true);
                if (!loaded.account || !loaded.mail) {
                    showProblem(tr("Could not read your account"),
                                !loaded.account ? loaded.account.error() : loaded.mail.error());
                    return;
                }
                m_displayName->setText(loaded.account->displayName);
                showAvatar(loaded.avatar, !loaded.account->avatarUrl.isEmpty());
                m_mailOnSale->setChecked(loaded.mail->onSale);
                m_mailOnLowStock->setChecked(loaded.mail->onLowStock);
            });
}

void AccountDialog::showAvatar(const QImage &image, bool hasAvatar)
{
    if (!image.isNull())
        m_avatar->setPixmap(QPixmap::fromImage(image));
    else
        m_avatar->setText(hasAvatar ? tr("(picture set)") : tr("No picture"));
    m_avatar->setAccessibleDescription(hasAvatar ? tr("You have a profile picture")
                                                 : tr("You have no profile picture"));
    m_removeAvatar->setEnabled(hasAvatar);
}

void AccountDialog::say(const QString &text)
{
    m_message->setText(text);
}

void AccountDialog::showProblem(const QString &title, const Error &error)
{
    static const QHash<QString, QString> labels{
            {QStringLiteral("displayName"), tr("Display name")},
            {QStringLiteral("currentPassword"), tr("Current password")},
            {QStringLiteral("newPassword"), tr("New password")},
            {QStringLiteral("password"), tr("New password")},
            {QStringLiteral("mailOnSale"), tr("Mail me for each sale")},
            {QStringLiteral("mailOnLowStock"), tr("Mail me when a product runs low")}};
    const QString text = plainProblems(error, labels);
    delete m_problem;
    m_problem = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    m_problem->setAccessibleName(tr("Problem"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setAttribute(Qt::WA_DeleteOnClose);
    m_problem->open();
}

void AccountDialog::saveProfile()
{
    ProfileChange change;
    change.displayName = m_displayName->text();
    change.mailOnSale = m_mailOnSale->isChecked();
    change.mailOnLowStock = m_mailOnLowStock->isChecked();
    m_saveProfile->setEnabled(false);
    say({});
    Shop *shop = &m_shop;
    const QString id = m_seller.id;
    m_worker.run(
            this, [shop, id, change] { return shop->accounts().updateProfile(id, change); },
            [this, id](const Result<Account> &account) {
                m_saveProfile->setEnabled(true);
                if (m_seller.id != id)
                    return;
                if (!account) {
                    showProblem(tr("Your profile was not saved"), account.error());
                    return;
                }
                m_seller.displayName = account->displayName;
                m_displayName->setText(account->displayName);
                say(tr("Profile saved."));
                Q_EMIT profileChanged(m_seller);
            });
}

void AccountDialog::changePassword()
{
    const QString current = m_currentPassword->text();
    const QString next = m_newPassword->text();
    if (current.isEmpty()) {
        showProblem(tr("Your password was not changed"),
                    Error::validation(QStringLiteral("currentPassword"),
                                      tr("enter the password you use now")));
        return;
    }
    if (next != m_repeatPassword->text()) {
        showProblem(tr("Your password was not changed"),
                    Error::validation(QStringLiteral("newPassword"),
                                      tr("the two new passwords are not the same")));
        return;
    }
    m_changePassword->setEnabled(false);
    say({});
    Shop *shop = &m_shop;
    const QString id = m_seller.id;
    m_worker.run(
            this,
            [shop, id, current, next] {
                return shop->accounts().changePassword(id, current, next);
            },
            [this](const Status &s) {
                m_changePassword->setEnabled(true);
                m_currentPassword->clear();
                if (!s) {
                    showProblem(tr("Your password was not changed"), s.error());
                    return;
                }
                m_newPassword->clear();
                m_repeatPassword->clear();
                say(tr("Password changed. Use the new one the next time you sign in; the shop's "
                       "apps and web sessions sign in again."));
            });
}

void AccountDialog::chooseAvatar()
{
    QString folder;
    if (m_avatarDialog) {
        folder = m_avatarDialog->directory().absolutePath();
        delete m_avatarDialog;
    }
    m_avatarDialog = new QFileDialog(this, tr("Choose your profile picture"), folder);
    m_avatarDialog->setAccessibleName(tr("Profile picture file"));
    m_avatarDialog->setFileMode(QFileDialog::ExistingFile);
    m_avatarDialog->setNameFilter(tr("Images (*.png *.jpg *.jpeg *.webp)"));
    connect(m_avatarDialog, &QFileDialog::fileSelected, this, &AccountDialog::uploadAvatar);
    m_avatarDialog->open();
}

void AccountDialog::uploadAvatar(const QString &path)
{
    if (path.isEmpty())
        return;
    m_chooseAvatar->setEnabled(false);
    say(tr("Uploading the picture…"));
    Shop *shop = &m_shop;
    const QString id = m_seller.id;
    using Uploaded = QPair<Result<QString>, QImage>;
    m_worker.run(
            this,
            [shop, id, path]() -> Uploaded {
                QFile file(path);
                if (!file.open(QIODevice::ReadOnly))
                    return {makeError(ErrorCode::BadRequest,
                                      tr("Cannot read %1: %2").arg(path, file.errorString())),
                            {}};
                if (file.size() > kMaxPictureBytes)
                    return {makeError(ErrorCode::BadRequest,
                                      tr("The picture is larger than 8 MB.")),
                            {}};
                auto url = shop->avatars().set(id, file.readAll(), QString());
                if (!url)
                    return {url, {}};
                return {url, avatarThumbnail(shop, url.value())};
            },
            [this](const Uploaded &done) {
                m_chooseAvatar->setEnabled(true);
                if (!done.first) {
                    say({});
                    showProblem(tr("The picture was not saved"), done.first.error());
                    return;
                }
                showAvatar(done.second, true);
                say(tr("Profile picture saved."));
            });
}

void AccountDialog::removeAvatar()
{
    m_removeAvatar->setEnabled(false);
    Shop *shop = &m_shop;
    const QString id = m_seller.id;
    m_worker.run(
            this, [shop, id] { return shop->avatars().clear(id); },
            [this](const Status &s) {
                if (!s) {
                    m_removeAvatar->setEnabled(true);
                    showProblem(tr("The picture was not removed"), s.error());
                    return;
                }
                showAvatar({}, false);
                say(tr("Profile picture removed."));
            });
}

} // namespace Mercato
