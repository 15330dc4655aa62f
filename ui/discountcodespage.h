#pragma once
// Discount codes: the signed-in seller's own codes (as /seller/discount-codes) with their kind,
// value, minimum, window of dates, uses against the cap, once per customer and whether they can
// be used now; a code made or edited in a dialog, and ended after a confirmation. Every rule is
// the model's (DiscountCodes::fromJson and friends): a refusal is shown in a plain dialog that
// names the field, and nothing is saved.

#include "page.h"

#include "model/discountcodes.h"

#include <QDialog>
#include <QPointer>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QMessageBox;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace Mercato {

// The dialog of one code: every field of the API's body.
class DiscountCodeDialog : public QDialog
{
    Q_OBJECT
public:
    DiscountCodeDialog(const std::optional<DiscountCode> &existing, const QString &currency,
                       QWidget *parent = nullptr);

    // The fields as the API's body. What the console cannot read as a number or a date comes
    // back in `problems`, one plain line per field.
    QJsonObject json(QStringList &problems) const;
    QPushButton *saveButton() const { return m_save; }

private:
    void updateValueHint();

    QLineEdit *m_code = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_value = nullptr;
    QLabel *m_valueUnit = nullptr;
    QLineEdit *m_minimum = nullptr;
    QLineEdit *m_starts = nullptr;
    QLineEdit *m_ends = nullptr;
    QLineEdit *m_maxUses = nullptr;
    QCheckBox *m_once = nullptr;
    QPushButton *m_save = nullptr;
    QString m_currency;
};

class DiscountCodesPage : public Page
{
    Q_OBJECT
public:
    DiscountCodesPage(ConsoleContext context, QWidget *parent = nullptr);
    void refresh() override;

    // "Active", "Scheduled", "Ended", "Used up" at `nowMs`.
    static QString stateLabel(const DiscountCode &code, qint64 nowMs);
    // The field labels of the dialog, by the service's field names.
    static const QHash<QString, QString> &fieldLabels();

Q_SIGNALS:
    void loaded();
    // A save or an end finished; `error` empty on success.
    void changed(const QString &error);

private:
    void openDialog(bool add);
    void endCode();
    void updateButtons();
    void showProblem(const QString &title, const QString &text, QWidget *over);
    const DiscountCode *selectedCode() const;

    QLabel *m_summary = nullptr;
    RowsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_end = nullptr;
    QPointer<QMessageBox> m_problem;
    QList<DiscountCode> m_codes;
    QString m_currency;
    quint64 m_generation = 0;
};

} // namespace Mercato
