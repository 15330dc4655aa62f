#pragma once
// Products: the seller's list with search and ratings, a create/edit dialog that validates
// before it saves (and shows the model's refusals in the same dialog), deletion, and each
// product's pictures and reviews (an abusive review can be hidden from customers).

#include "page.h"

#include "model/canceltoken.h"
#include "model/catalog.h"
#include "model/reviews.h"

#include <QDialog>
#include <QImage>
#include <QPointer>

#include <optional>

class QFileDialog;
class QLabel;
class QLineEdit;
class QListWidget;
class QMessageBox;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTimer;

namespace Mercato {

// What the product dialog collects.
struct ProductForm
{
    QString name;
    QString description;
    qint64 priceCents = 0;
    qint64 stock = 0;
    std::optional<qint64> lowStockThreshold; // empty: the store's default
};

// "12", "12.5", "12.50" or "12,50" → cents; empty when the text is not an amount.
std::optional<qint64> parsePriceCents(const QString &text);

class ProductDialog : public QDialog
{
    Q_OBJECT
public:
    // `existing`: edit that product; empty: a new one.
    ProductDialog(const std::optional<Product> &existing, const QString &currency, QWidget *parent);

    // Checks the fields; on success returns the form, else shows what is wrong and returns empty.
    std::optional<ProductForm> validate();
    // Shows a refusal (validation fields are mapped to the dialog's fields).
    void showError(const Error &error);
    void setBusy(bool busy);
    const std::optional<Product> &existing() const { return m_existing; }
    QString errorText() const;

Q_SIGNALS:
    void submitted(const Mercato::ProductForm &form);

private:
    void showErrors(const QList<FieldError> &errors);
    QWidget *fieldWidget(const QString &field) const;

    std::optional<Product> m_existing;
    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLineEdit *m_price = nullptr;
    QSpinBox *m_stock = nullptr;
    QSpinBox *m_threshold = nullptr;
    QLabel *m_errors = nullptr;
    QPushButton *m_save = nullptr;
};

class ProductsPage : public Page
{
    Q_OBJECT
public:
    ProductsPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;
    void selectId(const QString &id) override;

    ProductDialog *dialog() const { return m_dialog; }

Q_SIGNALS:
    // A load finished (tests and the screenshot tour wait for it).
    void loaded();
    // The selected product's reviews were shown.
    void reviewsLoaded();

private:
    void openDialog(bool edit);
    void save(const ProductForm &form);
    void confirmDelete();
    void chooseImage();
    void addImage(const QString &path);
    void cancelUpload();
    void removeImage();
    void showDetails();
    void loadReviews(const QString &productId);
    void toggleReviewHidden();
    void updateButtons();
    const Product *selectedProduct() const;

    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_search = nullptr;
    QTimer *m_searchTimer = nullptr;
    QPushButton *m_new = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_delete = nullptr;
    QLabel *m_details = nullptr;
    QListWidget *m_images = nullptr;
    QPushButton *m_addImage = nullptr;
    QPushButton *m_removeImage = nullptr;
    QProgressBar *m_uploadProgress = nullptr; // shown while a picture uploads
    QPushButton *m_cancelUpload = nullptr;    // shown with it
    bool m_uploading = false;
    CancelToken m_uploadCancel; // the upload in flight's
    QListWidget *m_reviews = nullptr;
    QPushButton *m_hideReview = nullptr;
    QString m_reviewsProduct; // the product m_reviews shows
    QList<Product> m_products;
    // Cleared by Qt when the dialog goes (also while this page is being destroyed).
    QPointer<ProductDialog> m_dialog;
    QMessageBox *m_confirm = nullptr;
    QFileDialog *m_fileDialog = nullptr;
    QString m_pendingSelect;
    quint64 m_generation = 0;
};

} // namespace Mercato
