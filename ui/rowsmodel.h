#pragma once
// A table model over rows the worker thread prepared: display text per column, a sort key
// per column (numbers sort as numbers), and the row's id under IdRole.

#include <QAbstractTableModel>
#include <QColor>
#include <QList>
#include <QStringList>
#include <QVariant>

namespace Mercato {

struct TableRow
{
    TableRow() = default;
    TableRow(QString id_, QStringList text_, QVariantList sortKeys_ = {}, bool emphasised_ = false,
             QColor background_ = {})
        : id(std::move(id_))
        , text(std::move(text_))
        , sortKeys(std::move(sortKeys_))
        , emphasised(emphasised_)
        , background(background_)
    {}

    QString id;
    QStringList text;
    QVariantList sortKeys;   // empty: sort by text
    bool emphasised = false; // unread, low stock, waiting for action
    QColor background;       // invalid: none (e.g. low-stock rows are tinted)
};

class RowsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Roles { IdRole = Qt::UserRole + 1, SortRole };

    explicit RowsModel(QStringList headers, QObject *parent = nullptr);

    void setRows(QList<TableRow> rows);
    const TableRow &row(int row) const { return m_rows.at(row); }
    int rowOf(const QString &id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QStringList m_headers;
    QList<TableRow> m_rows;
};

} // namespace Mercato
