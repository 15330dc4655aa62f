#include "productspage.h"

#include "consoleworker.h"
#include "rowsmodel.h"

#include "model/imagestore.h"
#include "model/shop.h"

#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace Mercato {

namespace {

const QString kInvalidStyle = QStringLiteral("border: 1px solid #b00020;");

QString fieldLabel(const QString &field)
{
    if (field == QLatin1String("name"))
        return ProductDialog::tr("Name");
    if (field == QLatin1String("description"))
        return ProductDialog::tr("Description");
    if (field == QLatin1String("priceCents"))
        return ProductDialog::tr("Price");
    if (field == QLatin1String("stock"))
        return ProductDialog::tr("Stock");
    if (field == QLatin1String("lowStockThreshold"))
        return ProductDialog::tr("Low-stock threshold");
    return field;
}

// Thumbnails of a product's pictures (read from the local store; other stores show names).
QList<QPair<QString, QImage>> loadThumbnails(Shop *shop, const QList<ProductImage> &images)
{
    QList<QPair<QString, QImage>> out;
    auto *local = dynamic_cast<LocalImageStore *>(&shop->images());
    for (const ProductImage &img : images) {
        QImage image;
        if (local) {
            const QString path = local->pathFor(img.storeKey);
            if (!path.isEmpty())
                image.load(path);
        }
        if (!image.isNull())
            image = image.scaled(96, 96, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        out.append({img.id, image});
    }
    return out;
}

} // namespace

std::optional<qint64> parsePriceCents(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^(\\d{1,9})(?:[.,](\\d{1,2}))?$"));
    const QRegularExpressionMatch m = re.match(text.trimmed());
    if (!m.hasMatch())
        return std::nullopt;
    qint64 cents = m.captured(1).toLongLong() * 100;
    QString fraction = m.captured(2);
    if (fraction.size() == 1)
        fraction += QLatin1Char('0');
    if (!fraction.isEmpty())
        cents += fraction.toLongLong();
    return cents;
}

// ---------------------------------------------------------------------------------------------

ProductDialog::ProductDialog(const std::optional<Product> &existing, const QString &currency,
                             QWidget *parent)
    : QDialog(parent)
    , m_existing(existing)
{
    setWindowTitle(existing ? tr("Edit product") : tr("New product"));
    setAccessibleName(existing ? tr("Edit product") : tr("New product"));
    setObjectName(QStringLiteral("productDialog"));
    setMinimumWidth(460);
    auto *layout = new QVBoxLayout(this);
    m_errors = new QLabel(this);
    m_errors->setTextFormat(Qt::PlainText);
    m_errors->setAccessibleName(tr("Product errors"));
    m_errors->setWordWrap(true);
    m_errors->setStyleSheet(
            QStringLiteral("QLabel { color: #b00020; background: #fdecea; "
                           "border: 1px solid #f5c2c0; border-radius: 4px; padding: 8px; }"));
    m_errors->hide();
    layout->addWidget(m_errors);

    auto *form = new QFormLayout;
    m_name = new QLineEdit(this);
    m_name->setAccessibleName(tr("Product name"));
    m_name->setMaxLength(ProductLimits::kNameMax + 1);
    m_name->setPlaceholderText(tr("What customers see in the list"));
    m_description = new QPlainTextEdit(this);
    m_description->setAccessibleName(tr("Product description"));
    m_description->setTabChangesFocus(true);
    m_description->setPlaceholderText(tr("Material, size, care… (optional)"));
    m_description->setMinimumHeight(110);
    m_price = new QLineEdit(this);
    m_price->setAccessibleName(tr("Price"));
    m_price->setPlaceholderText(tr("e.g. 12.50"));
    m_stock = new QSpinBox(this);
    m_stock->setAccessibleName(tr("Initial stock"));
    m_stock->setRange(0, int(ProductLimits::kStockMax));
    m_threshold = new QSpinBox(this);
    m_threshold->setAccessibleName(tr("Low-stock threshold"));
    m_threshold->setRange(existing ? 0 : -1, int(ProductLimits::kThresholdMax));
    m_threshold->setSpecialValueText(existing ? QString() : tr("Store default"));
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Description:"), m_description);
    form->addRow(tr("&Price (%1):").arg(currency), m_price);
    if (existing) {
        m_stock->hide();
        auto *stockNote
                = new QLabel(tr("%1 in stock — change it on the Inventory page, with a reason.")
                                     .arg(existing->stock),
                             this);
        stockNote->setAccessibleName(tr("Stock note"));
        form->addRow(tr("Stock:"), stockNote);
    } else {
        form->addRow(tr("Initial &stock:"), m_stock);
    }
    form->addRow(tr("&Low-stock alert at:"), m_threshold);
    layout->addLayout(form);

    auto *buttons = new QDialogButtonBox(this);
    m_save = buttons->addButton(existing ? tr("&Save changes") : tr("&Create product"),
                                QDialogButtonBox::AcceptRole);
    m_save->setAccessibleName(tr("Save product"));
    m_save->setDefault(true);
    QPushButton *cancel = buttons->addButton(QDialogButtonBox::Cancel);
    cancel->setAccessibleName(tr("Cancel"));
    layout->addWidget(buttons);
    connect(m_save, &QPushButton::clicked, this, [this] {
        if (auto form = validate())
            Q_EMIT submitted(*form);
    });
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);

    if (existing) {
        m_name->setText(existing->name);
        m_description->setPlainText(existing->description);
        m_price->setText(
                QString::number(existing->priceCents / 100) + QLatin1Char('.')
                + QStringLiteral("%1").arg(existing->priceCents % 100, 2, 10, QLatin1Char('0')));
        m_threshold->setValue(int(existing->lowStockThreshold));
    } else {
        m_threshold->setValue(-1);
    }
    setTabOrder(m_name, m_description);
    setTabOrder(m_description, m_price);
    setTabOrder(m_price, m_stock);
    setTabOrder(m_stock, m_threshold);
    m_name->setFocus();
}

std::optional<ProductForm> ProductDialog::validate()
{
    ProductForm form;
    QList<FieldError> errors;
    form.name = m_name->text().trimmed();
    if (form.name.isEmpty())
        errors.append({QStringLiteral("name"), tr("must not be empty")});
    else if (form.name.size() > ProductLimits::kNameMax)
        errors.append({QStringLiteral("name"),
                       tr("must be at most %1 characters").arg(ProductLimits::kNameMax)});
    form.description = m_description->toPlainText();
    if (form.description.size() > ProductLimits::kDescriptionMax)
        errors.append({QStringLiteral("description"),
                       tr("must be at most %1 characters").arg(ProductLimits::kDescriptionMax)});
    const auto price = parsePriceCents(m_price->text());
    if (m_price->text().trimmed().isEmpty())
        errors.append({QStringLiteral("priceCents"), tr("is required")});
    else if (!price)
        errors.append({QStringLiteral("priceCents"), tr("must be an amount like 12.50")});
    else if (*price < ProductLimits::kPriceMin || *price > ProductLimits::kPriceMax)
        errors.append({QStringLiteral("priceCents"),
                       tr("must be between %1 and %2")
                               .arg(formatMoney(ProductLimits::kPriceMin, {}),
                                    formatMoney(ProductLimits::kPriceMax, {}))});
    form.priceCents = price.value_or(0);
    form.stock = m_stock->value();
    if (m_threshold->value() >= 0)
        form.lowStockThreshold = m_threshold->value();
    showErrors(errors);
    if (!errors.isEmpty())
        return std::nullopt;
    return form;
}

QWidget *ProductDialog::fieldWidget(const QString &field) const
{
    if (field == QLatin1String("name"))
        return m_name;
    if (field == QLatin1String("description"))
        return m_description;
    if (field == QLatin1String("priceCents"))
        return m_price;
    if (field == QLatin1String("stock"))
        return m_stock;
    if (field == QLatin1String("lowStockThreshold"))
        return m_threshold;
    return nullptr;
}

void ProductDialog::showErrors(const QList<FieldError> &errors)
{
    for (QWidget *w : {static_cast<QWidget *>(m_name), static_cast<QWidget *>(m_description),
                       static_cast<QWidget *>(m_price), static_cast<QWidget *>(m_stock),
                       static_cast<QWidget *>(m_threshold)})
        w->setStyleSheet({});
    if (errors.isEmpty()) {
        m_errors->clear();
        m_errors->hide();
        return;
    }
    QStringList lines;
    QWidget *first = nullptr;
    for (const FieldError &e : errors) {
        lines.append(QStringLiteral("• %1 %2").arg(fieldLabel(e.field), e.message));
        if (QWidget *w = fieldWidget(e.field)) {
            w->setStyleSheet(kInvalidStyle);
            if (!first)
                first = w;
        }
    }
    m_errors->setText(tr("Please correct this before saving:") + QLatin1Char('\n')
                      + lines.join(QLatin1Char('\n')));
    m_errors->show();
    if (first)
        first->setFocus();
}

void ProductDialog::showError(const Error &error)
{
    setBusy(false);
    if (!error.fields.isEmpty()) {
        showErrors(error.fields);
        return;
    }
    QString text = error.detail;
    if (error.code == ErrorCode::PreconditionFailed)
        text = tr("This product was changed elsewhere while you edited it. Close this dialog and "
                  "open it again to see the current version.");
    else if (error.code == ErrorCode::NotFound)
        text = tr("This product no longer exists.");
    m_errors->setText(text);
    m_errors->show();
}

QString ProductDialog::errorText() const
{
    return m_errors->isVisible() ? m_errors->text() : QString();
}

void ProductDialog::setBusy(bool busy)
{
    m_save->setEnabled(!busy);
    m_save->setText(busy ? tr("Saving…")
                         : (m_existing ? tr("&Save changes") : tr("&Create product")));
}

// ---------------------------------------------------------------------------------------------

ProductsPage::ProductsPage(ConsoleContext context, QWidget *parent)
    : Page(QStringLiteral("Products"), tr("Products"), context, parent)
{
    auto *bar = new QHBoxLayout;
    m_search = new QLineEdit(this);
    m_search->setAccessibleName(tr("Product search"));
    m_search->setPlaceholderText(tr("Search your products by name or description"));
    m_search->setClearButtonEnabled(true);
    m_new = new QPushButton(tr("&New product…"), this);
    m_new->setAccessibleName(tr("New product"));
    m_new->setShortcut(QKeySequence::New);
    m_edit = new QPushButton(tr("&Edit…"), this);
    m_edit->setAccessibleName(tr("Edit product"));
    m_delete = new QPushButton(tr("&Delete…"), this);
    m_delete->setAccessibleName(tr("Delete product"));
    bar->addWidget(m_search, 1);
    bar->addWidget(m_new);
    bar->addWidget(m_edit);
    bar->addWidget(m_delete);
    body()->addLayout(bar);

    auto *split = new QSplitter(Qt::Horizontal, this);
    m_model = new RowsModel(
            {tr("Name"), tr("Price"), tr("Stock"), tr("Rating"), tr("Pictures"), tr("Updated")},
            this);
    m_proxy = new QSortFilterProxyModel(this);
    m_view = new QTableView(split);
    split->addWidget(tableWithEmptyState(m_view, m_model, m_proxy, tr("Product list"),
                                         tr("No products yet. Click “New product” (Ctrl+N) to list "
                                            "your first one; customers see it right away."),
                                         [this] {
                                             const QString q = m_search->text().trimmed();
                                             return q.isEmpty()
                                                            ? QString()
                                                            : tr("No product matches “%1”. Clear "
                                                                 "the search to see them all.")
                                                                      .arg(q);
                                         }));
    m_view->horizontalHeader()->setDefaultSectionSize(90);
    m_view->setColumnWidth(0, 220);
    m_view->sortByColumn(0, Qt::AscendingOrder); // A→Z by name until the seller clicks a header

    auto *right = new QWidget(split);
    auto *rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_details = new QLabel(tr("Select a product to see its details and pictures."), right);
    m_details->setAccessibleName(tr("Product details"));
    m_details->setWordWrap(true);
    m_details->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_details->setTextFormat(Qt::RichText);
    m_images = new QListWidget(right);
    m_images->setAccessibleName(tr("Product pictures"));
    m_images->setViewMode(QListView::IconMode);
    m_images->setIconSize(QSize(96, 96));
    m_images->setResizeMode(QListView::Adjust);
    m_images->setMovement(QListView::Static);
    m_images->setMinimumHeight(130);
    auto *imageButtons = new QHBoxLayout;
    m_addImage = new QPushButton(tr("Add &picture…"), right);
    m_addImage->setAccessibleName(tr("Add picture"));
    m_removeImage = new QPushButton(tr("Re&move picture"), right);
    m_removeImage->setAccessibleName(tr("Remove picture"));
    m_uploadProgress = new QProgressBar(right);
    m_uploadProgress->setAccessibleName(tr("Picture upload progress"));
    m_uploadProgress->setRange(0, 100);
    m_uploadProgress->setFormat(tr("Uploading… %p%"));
    m_uploadProgress->hide();
    m_cancelUpload = new QPushButton(tr("&Cancel upload"), right);
    m_cancelUpload->setAccessibleName(tr("Cancel upload"));
    m_cancelUpload->hide();
    imageButtons->addWidget(m_addImage);
    imageButtons->addWidget(m_removeImage);
    imageButtons->addWidget(m_uploadProgress, 1);
    imageButtons->addWidget(m_cancelUpload);
    imageButtons->addStretch(1);
    rl->addWidget(m_details);
    rl->addWidget(new QLabel(
            tr("Pictures (PNG, JPEG or WebP; up to %1):").arg(ProductLimits::kImagesMax), right));
    rl->addWidget(m_images, 1);
    rl->addLayout(imageButtons);
    auto *reviewsTitle = new QLabel(tr("Reviews (customers do not see hidden ones):"), right);
    reviewsTitle->setAccessibleName(tr("Product reviews title"));
    m_reviews = new QListWidget(right);
    m_reviews->setAccessibleName(tr("Product reviews"));
    m_reviews->setWordWrap(true);
    m_reviews->setMinimumHeight(120);
    m_hideReview = new QPushButton(tr("&Hide review"), right);
    m_hideReview->setAccessibleName(tr("Hide review"));
    m_hideReview->setToolTip(tr("Hide an abusive review from customers (it is kept, and can be "
                                "shown again); the product's rating leaves it out"));
    auto *reviewButtons = new QHBoxLayout;
    reviewButtons->addWidget(m_hideReview);
    reviewButtons->addStretch(1);
    rl->addWidget(reviewsTitle);
    rl->addWidget(m_reviews, 1);
    rl->addLayout(reviewButtons);
    split->addWidget(right);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    body()->addWidget(split, 1);

    m_searchTimer = new QTimer(this);
    m_searchTimer->setSingleShot(true);
    m_searchTimer->setInterval(250);
    connect(m_searchTimer, &QTimer::timeout, this, &ProductsPage::refresh);
    connect(m_search, &QLineEdit::textChanged, m_searchTimer, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        m_searchTimer->stop();
        refresh();
    });
    connect(m_new, &QPushButton::clicked, this, [this] { openDialog(false); });
    connect(m_edit, &QPushButton::clicked, this, [this] { openDialog(true); });
    connect(m_view, &QTableView::doubleClicked, this, [this] { openDialog(true); });
    connect(m_delete, &QPushButton::clicked, this, &ProductsPage::confirmDelete);
    connect(m_addImage, &QPushButton::clicked, this, &ProductsPage::chooseImage);
    connect(m_cancelUpload, &QPushButton::clicked, this, &ProductsPage::cancelUpload);
    connect(m_removeImage, &QPushButton::clicked, this, &ProductsPage::removeImage);
    connect(m_images, &QListWidget::itemSelectionChanged, this, &ProductsPage::updateButtons);
    connect(m_reviews, &QListWidget::itemSelectionChanged, this, &ProductsPage::updateButtons);
    connect(m_hideReview, &QPushButton::clicked, this, &ProductsPage::toggleReviewHidden);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showDetails();
        updateButtons();
    });
    setTabOrder(m_search, m_new);
    setTabOrder(m_new, m_edit);
    setTabOrder(m_edit, m_delete);
    setTabOrder(m_delete, m_view);
    updateButtons();
}

void ProductsPage::refresh()
{
    if (seller().id.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString text = m_search->text().trimmed();
    const quint64 generation = ++m_generation;
    ctx().worker.run(
            this,
            [shop, sellerId, text] {
                return fetchAll<Product, ProductPage>([&](const QString &cursor) {
                    ProductQuery q;
                    q.sellerId = sellerId;
                    q.text = text;
                    q.limit = 100;
                    q.cursor = cursor;
                    if (text.isEmpty())
                        q.sort = ProductSort::Newest;
                    return shop->catalog().list(q);
                });
            },
            [this, generation](const Result<QList<Product>> &products) {
                if (generation != m_generation)
                    return; // a newer search is on its way
                if (!products) {
                    showError(products.error());
                    Q_EMIT loaded();
                    return;
                }
                const QString keep
                        = m_pendingSelect.isEmpty() ? selectedId(m_view) : m_pendingSelect;
                m_pendingSelect.clear();
                m_products = products.value();
                const QString currency = ctx().shop.settings().storeCurrency();
                QList<TableRow> rows;
                for (const Product &p : std::as_const(m_products)) {
                    const QString rating
                            = p.ratingCount > 0
                                      ? QStringLiteral("%1 (%2)")
                                                .arg(QString::number(
                                                        double(p.ratingSum) / double(p.ratingCount),
                                                        'f', 1))
                                                .arg(p.ratingCount)
                                      : tr("none yet");
                    TableRow row{p.id,
                                 {p.name, formatMoney(p.priceCents, currency),
                                  QString::number(p.stock), rating,
                                  QString::number(p.images.size()), formatTime(p.updatedAt)},
                                 {p.name.toLower(), p.priceCents, p.stock,
                                  p.ratingCount ? double(p.ratingSum) / double(p.ratingCount) : 0.0,
                                  qint64(p.images.size()), p.updatedAt},
                                 p.lowStock()};
                    rows.append(row);
                }
                m_model->setRows(rows);
                if (!keep.isEmpty())
                    selectRowWithId(m_view, keep);
                showDetails();
                updateButtons();
                Q_EMIT loaded();
            });
}

void ProductsPage::selectId(const QString &id)
{
    m_pendingSelect = id;
    if (!m_search->text().isEmpty())
        m_search->clear();
    refresh();
}

const Product *ProductsPage::selectedProduct() const
{
    const QString id = selectedId(m_view);
    for (const Product &p : m_products) {
        if (p.id == id)
            return &p;
    }
    return nullptr;
}

void ProductsPage::updateButtons()
{
    const Product *p = selectedProduct();
    m_edit->setEnabled(p);
    m_delete->setEnabled(p);
    m_addImage->setEnabled(p && !m_uploading && p->images.size() < ProductLimits::kImagesMax);
    m_removeImage->setEnabled(p && !m_images->selectedItems().isEmpty());
    m_images->setEnabled(p);
    // One button: "Hide review" for a shown review, "Show review" for a hidden one.
    const QList<QListWidgetItem *> review = m_reviews->selectedItems();
    const bool hidden = !review.isEmpty() && review.first()->data(Qt::UserRole + 1).toBool();
    m_hideReview->setText(hidden ? tr("&Show review") : tr("&Hide review"));
    m_hideReview->setAccessibleName(hidden ? tr("Show review") : tr("Hide review"));
    m_hideReview->setEnabled(p && !review.isEmpty());
}

void ProductsPage::showDetails()
{
    const Product *p = selectedProduct();
    m_images->clear();
    if (!p) {
        m_details->setText(tr("Select a product to see its details and pictures."));
        m_reviews->clear();
        m_reviewsProduct.clear();
        return;
    }
    loadReviews(p->id);
    const QString currency = ctx().shop.settings().storeCurrency();
    QString description = p->description.left(600).toHtmlEscaped();
    description.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    const QString average
            = p->ratingCount > 0
                      ? QString::number(double(p->ratingSum) / double(p->ratingCount), 'f', 1)
                      : QString();
    const QString rating
            = p->ratingCount == 0 ? tr("not rated yet")
              : p->ratingCount == 1
                      ? tr("rated %1 of 5 by one customer").arg(average)
                      : tr("rated %1 of 5 by %2 customers").arg(average).arg(p->ratingCount);
    m_details->setText(
            QStringLiteral("<h3>%1</h3><p><b>%2</b> · %3 · %4 · %5</p><p>%6</p>")
                    .arg(p->name.toHtmlEscaped(), formatMoney(p->priceCents, currency),
                         tr("%1 in stock").arg(p->stock),
                         tr("low-stock alert at %1").arg(p->lowStockThreshold), rating,
                         description.isEmpty() ? tr("<i>No description.</i>") : description));
    for (const ProductImage &img : p->images) {
        auto *item = new QListWidgetItem(tr("Picture %1").arg(img.position + 1), m_images);
        item->setData(Qt::UserRole, img.id);
        item->setToolTip(img.url);
    }
    if (p->images.isEmpty())
        return;
    Shop *shop = &ctx().shop;
    const QString id = p->id;
    const QList<ProductImage> images = p->images;
    ctx().worker.run(
            this, [shop, images] { return loadThumbnails(shop, images); },
            [this, id](const QList<QPair<QString, QImage>> &thumbs) {
                if (selectedId(m_view) != id)
                    return;
                for (int i = 0; i < m_images->count(); ++i) {
                    QListWidgetItem *item = m_images->item(i);
                    for (const auto &[imageId, image] : thumbs) {
                        if (imageId == item->data(Qt::UserRole).toString() && !image.isNull())
                            item->setIcon(QIcon(QPixmap::fromImage(image)));
                    }
                }
            });
}

void ProductsPage::openDialog(bool edit)
{
    std::optional<Product> existing;
    if (edit) {
        const Product *p = selectedProduct();
        if (!p)
            return;
        existing = *p;
    }
    if (m_dialog)
        m_dialog->deleteLater();
    m_dialog = new ProductDialog(existing, ctx().shop.settings().storeCurrency(), this);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &ProductDialog::submitted, this, &ProductsPage::save);
    m_dialog->open();
}

void ProductsPage::save(const ProductForm &form)
{
    ProductDialog *dialog = m_dialog;
    if (!dialog)
        return;
    dialog->setBusy(true);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const std::optional<Product> existing = dialog->existing();
    ctx().worker.run(
            dialog,
            [shop, sellerId, form, existing]() -> Result<Product> {
                if (existing) {
                    ProductChanges changes;
                    changes.name = form.name;
                    changes.description = form.description;
                    changes.priceCents = form.priceCents;
                    changes.lowStockThreshold = form.lowStockThreshold;
                    return shop->catalog().update(sellerId, existing->id, changes,
                                                  existing->etag());
                }
                NewProduct in;
                in.name = form.name;
                in.description = form.description;
                in.priceCents = form.priceCents;
                in.stock = form.stock;
                in.lowStockThreshold = form.lowStockThreshold;
                return shop->catalog().create(sellerId, in);
            },
            [this, dialog, existing](const Result<Product> &result) {
                if (!result) {
                    dialog->showError(result.error());
                    return;
                }
                dialog->accept();
                showMessage(existing ? tr("Saved “%1”.").arg(result->name)
                                     : tr("“%1” is listed. Add a picture so customers can see it.")
                                               .arg(result->name));
                m_pendingSelect = result->id;
                refresh();
            });
}

void ProductsPage::confirmDelete()
{
    const Product *p = selectedProduct();
    if (!p)
        return;
    delete m_confirm; // an earlier, answered one
    m_confirm = new QMessageBox(
            QMessageBox::Warning, tr("Delete product"),
            tr("Delete “%1”? Customers will no longer see it; past orders keep it.").arg(p->name),
            QMessageBox::NoButton, this);
    m_confirm->setAccessibleName(tr("Confirm delete"));
    m_confirm->setTextFormat(Qt::PlainText);
    QPushButton *yes = m_confirm->addButton(tr("&Delete"), QMessageBox::DestructiveRole);
    yes->setAccessibleName(tr("Confirm delete product"));
    QPushButton *no = m_confirm->addButton(QMessageBox::Cancel);
    no->setAccessibleName(tr("Keep product"));
    m_confirm->setDefaultButton(no);
    const QString id = p->id;
    const QString etag = p->etag();
    const QString name = p->name;
    connect(m_confirm, &QMessageBox::buttonClicked, this,
            [this, yes, id, etag, name](QAbstractButton *b) {
                if (b != yes)
                    return;
                Shop *shop = &ctx().shop;
                const QString sellerId = seller().id;
                ctx().worker.run(
                        this,
                        [shop, sellerId, id, etag] {
                            return shop->catalog().remove(sellerId, id, etag);
                        },
                        [this, name](const Status &s) {
                            if (!s) {
                                showMessage(s.error().code == ErrorCode::PreconditionFailed
                                                    ? tr("“%1” changed meanwhile; look at it again "
                                                         "before deleting.")
                                                              .arg(name)
                                                    : describeError(s.error()),
                                            true);
                            } else {
                                showMessage(tr("Deleted “%1”.").arg(name));
                            }
                            refresh();
                        });
            });
    m_confirm->open();
}

void ProductsPage::chooseImage()
{
    if (!selectedProduct())
        return;
    // A fresh dialog each time (no stale selection), in the folder used last.
    QString folder;
    if (m_fileDialog) {
        folder = m_fileDialog->directory().absolutePath();
        delete m_fileDialog;
    }
    m_fileDialog = new QFileDialog(this, tr("Choose a picture"), folder);
    m_fileDialog->setAccessibleName(tr("Choose picture"));
    m_fileDialog->setFileMode(QFileDialog::ExistingFile);
    m_fileDialog->setNameFilter(tr("Images (*.png *.jpg *.jpeg *.webp)"));
    connect(m_fileDialog, &QFileDialog::fileSelected, this, &ProductsPage::addImage);
    m_fileDialog->open();
}

void ProductsPage::addImage(const QString &path)
{
    const Product *p = selectedProduct();
    if (!p || path.isEmpty())
        return;
    m_uploading = true; // one upload at a time
    m_uploadCancel = CancelToken();
    const CancelToken cancel = m_uploadCancel;
    m_addImage->setEnabled(false);
    showMessage(tr("Uploading the picture…"));
    m_uploadProgress->setValue(0);
    m_uploadProgress->show();
    m_cancelUpload->setEnabled(true);
    m_cancelUpload->setText(tr("&Cancel upload"));
    m_cancelUpload->show();
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString id = p->id;
    // Progress comes from the worker thread as queued calls; the bar is only touched here, on
    // the GUI thread, and only while it exists. Reading the file is the first 40 %, handing it
    // to the image store (a file, or an upload to Cloudinary) the rest.
    ConsoleWorker *worker = &ctx().worker;
    const QPointer<QProgressBar> bar = m_uploadProgress;
    auto report = [worker, bar](int percent) {
        QMetaObject::invokeMethod(
                worker,
                [bar, percent] {
                    if (bar && bar->isVisible())
                        bar->setValue(std::max(bar->value(), percent));
                },
                Qt::QueuedConnection);
    };
    ctx().worker.run(
            this,
            [shop, sellerId, id, path, report, cancel]() -> Result<ProductImage> {
                QFile file(path);
                if (!file.open(QIODevice::ReadOnly))
                    return makeError(ErrorCode::BadRequest,
                                     tr("Cannot read %1: %2").arg(path, file.errorString()));
                const qint64 size = file.size();
                if (size > 10 * 1024 * 1024)
                    return makeError(ErrorCode::BadRequest,
                                     tr("The picture is larger than 10 MB."));
                QByteArray bytes;
                bytes.reserve(size);
                while (!file.atEnd()) {
                    if (cancel.isCancelled())
                        return cancelledUpload();
                    const QByteArray chunk = file.read(64 * 1024);
                    if (chunk.isEmpty())
                        break;
                    bytes += chunk;
                    report(size > 0 ? int(40 * bytes.size() / size) : 40);
                }
                report(50);
                auto image = shop->catalog().addImage(sellerId, id, bytes, {}, cancel);
                report(100);
                return image;
            },
            [this, id, cancel](const Result<ProductImage> &image) {
                m_uploadProgress->setValue(100);
                m_uploadProgress->hide();
                m_cancelUpload->hide();
                m_uploading = false;
                if (!image && cancel.isCancelled()) {
                    showMessage(tr("Upload cancelled; the product keeps its pictures."));
                } else if (!image) {
                    const Error &e = image.error();
                    showMessage(e.code == ErrorCode::UnsupportedMediaType || !e.fields.isEmpty()
                                        ? tr("That file is not a picture Mercato can use (%1).")
                                                  .arg(describeError(e))
                                        : describeError(e),
                                true);
                } else {
                    showMessage(tr("Picture added."));
                }
                m_pendingSelect = id;
                refresh();
            });
}

// Stops the upload in flight: the worker aborts the transfer (a Cloudinary request, or the
// local file being written) and keeps nothing; the result comes back as usual.
void ProductsPage::cancelUpload()
{
    if (!m_uploading)
        return;
    m_uploadCancel.cancel();
    m_cancelUpload->setEnabled(false);
    m_cancelUpload->setText(tr("Cancelling…"));
    showMessage(tr("Cancelling the upload…"));
}

void ProductsPage::removeImage()
{
    const Product *p = selectedProduct();
    const QList<QListWidgetItem *> items = m_images->selectedItems();
    if (!p || items.isEmpty())
        return;
    const QString imageId = items.first()->data(Qt::UserRole).toString();
    m_removeImage->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString id = p->id;
    ctx().worker.run(
            this,
            [shop, sellerId, id, imageId] {
                return shop->catalog().removeImage(sellerId, id, imageId);
            },
            [this, id](const Status &s) {
                if (!s)
                    showError(s.error());
                else
                    showMessage(tr("Picture removed."));
                m_pendingSelect = id;
                refresh();
            });
}

void ProductsPage::loadReviews(const QString &productId)
{
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    if (m_reviewsProduct != productId) {
        m_reviews->clear();
        m_reviewsProduct = productId;
    }
    ctx().worker.run(
            this,
            [shop, sellerId, productId] {
                return fetchAll<Review, ReviewPage>(
                        [&](const QString &cursor) {
                            return shop->reviews().sellerList(sellerId, productId, 100, cursor);
                        },
                        500);
            },
            [this, productId](const Result<QList<Review>> &reviews) {
                if (selectedId(m_view) != productId)
                    return;
                if (!reviews) {
                    showError(reviews.error());
                    return;
                }
                const QList<QListWidgetItem *> selected = m_reviews->selectedItems();
                const QString keep = selected.isEmpty()
                                             ? QString()
                                             : selected.first()->data(Qt::UserRole).toString();
                m_reviews->clear();
                for (const Review &r : reviews.value()) {
                    QString text = QStringLiteral("%1 %2/5 · %3 · %4")
                                           .arg(QString(r.rating, QChar(0x2605)))
                                           .arg(r.rating)
                                           .arg(r.authorName, formatTime(r.createdAt));
                    if (r.hidden())
                        text += QLatin1String(" · ") + tr("HIDDEN from customers");
                    if (!r.comment.isEmpty())
                        text += QLatin1Char('\n') + r.comment.left(500);
                    auto *item = new QListWidgetItem(text, m_reviews);
                    item->setData(Qt::UserRole, r.id);
                    item->setData(Qt::UserRole + 1, r.hidden());
                    if (r.hidden())
                        item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
                    if (r.id == keep)
                        item->setSelected(true);
                }
                if (reviews->isEmpty()) {
                    auto *none = new QListWidgetItem(tr("No reviews yet."), m_reviews);
                    none->setFlags(Qt::NoItemFlags);
                }
                updateButtons();
                Q_EMIT reviewsLoaded();
            });
}

void ProductsPage::toggleReviewHidden()
{
    const Product *p = selectedProduct();
    const QList<QListWidgetItem *> items = m_reviews->selectedItems();
    if (!p || items.isEmpty())
        return;
    const QString reviewId = items.first()->data(Qt::UserRole).toString();
    const bool hide = !items.first()->data(Qt::UserRole + 1).toBool();
    m_hideReview->setEnabled(false);
    Shop *shop = &ctx().shop;
    const QString sellerId = seller().id;
    const QString id = p->id;
    ctx().worker.run(
            this,
            [shop, sellerId, reviewId, hide] {
                return shop->reviews().setHidden(sellerId, reviewId, hide);
            },
            [this, id, hide](const Result<Review> &r) {
                if (!r)
                    showError(r.error());
                else
                    showMessage(hide ? tr("The review by %1 is hidden from customers.")
                                                .arg(r->authorName)
                                     : tr("The review by %1 is shown again.").arg(r->authorName));
                m_pendingSelect = id;
                refresh(); // the rating changed too
            });
}

} // namespace Mercato
