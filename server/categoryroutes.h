#pragma once
// The category tree: read by anyone, shaped by the store's owner.

#include <QJsonObject>
#include <QString>

#include <optional>

namespace Mercato {
class Shop;
namespace Http {
class Router;
class FieldReader;
} // namespace Http

void registerCategoryRoutes(Http::Router &router, Shop &shop);

// A body's reference to a category in field `name` (a product's `categoryId`, a category's
// `parentId`): absent (nullopt), null (an empty string: none) or an id; anything else fails `f`.
std::optional<QString> categoryIdField(const QJsonObject &body, const QString &name,
                                       Http::FieldReader &f);
} // namespace Mercato
