#include "identityroutes.h"

#include "jsonbody.h"
#include "ratelimiter.h"
#include "uploadpart.h"

#include "model/shop.h"

namespace Mercato {

using namespace Http;

namespace {
constexpr int kMaxEmailChars = 320;
constexpr int kMaxPasswordChars = 100000; // the byte limit is the model's rule
constexpr int kMaxTokenChars = 200;
} // namespace

void registerIdentityRoutes(Router &router, Shop &shop, std::shared_ptr<AuthRateLimiter> limiter,
                            std::shared_ptr<PasswordCheckGate> checks)
{
    router.add("POST", QStringLiteral("/api/v1/auth/forgot-password"), Access::Public,
               [&shop, limiter](Request &request) {
                   if (auto limited = limiter->check(request))
                       return *limited;
                   auto body = jsonObjectBody(request);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader in(body.value());
                   const auto email
                           = in.string(QStringLiteral("email"), Need::Required, 1, kMaxEmailChars);
                   if (!in.ok())
                       return Response::fromError(in.error());
                   if (!Accounts::isValidEmail(Accounts::normaliseEmail(*email)))
                       return Response::fromError(
                               Error::validation(QStringLiteral("email"),
                                                 QStringLiteral("email is not an email address")));
                   // The lookup, the token and the mail happen on a background thread: this answer
                   // is the same, in body and in time, for an unknown email.
                   shop.passwordResets().request(*email);
                   return Response::json(
                           202, QJsonObject{{QStringLiteral("message"),
                                             QStringLiteral("If an account uses this email, a "
                                                            "reset link is on its way.")}});
               });

    router.add("POST", QStringLiteral("/api/v1/auth/reset-password"), Access::Public,
               [&shop, checks](Request &request) {
                   auto body = jsonObjectBody(request);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader in(body.value());
                   const auto token = in.string(QStringLiteral("token"), Need::Required, 1,
                                                kMaxTokenChars, false);
                   const auto password = in.string(QStringLiteral("newPassword"), Need::Required, 0,
                                                   kMaxPasswordChars, false);
                   if (!in.ok())
                       return Response::fromError(in.error());
                   PasswordCheckGate::Place place(checks.get(), PasswordCheckGate::Wait::Queue);
                   if (!place)
                       return PasswordCheckGate::busy();
                   if (auto s = shop.passwordResets().reset(*token, *password); !s)
                       return Response::fromError(s.error());
                   return Response::noContent();
               });

    if (checks->capacity() > 0)
        router.runOnPasswordChecks("POST", QStringLiteral("/api/v1/auth/reset-password"), checks);

    // The link of an email confirmation (a new account's, or a change of address).
    router.add("POST", QStringLiteral("/api/v1/auth/confirm-email"), Access::Public,
               [&shop](Request &request) {
                   auto body = jsonObjectBody(request);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader in(body.value());
                   const auto token = in.string(QStringLiteral("token"), Need::Required, 1,
                                                kMaxTokenChars, false);
                   if (!in.ok())
                       return Response::fromError(in.error());
                   if (auto s = shop.accounts().confirmEmail(*token); !s)
                       return Response::fromError(s.error());
                   shop.mail().wake(); // the notice to the old address, after a change
                   return Response::noContent();
               });

    auto avatarJson = [](const QString &url) {
        return QJsonObject{{QStringLiteral("avatarUrl"),
                            url.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(url)}};
    };
    router.add(
            "PUT", QStringLiteral("/api/v1/me/avatar"), Access::SignedIn,
            [&shop, avatarJson](Request &request) {
                auto file = imageUpload(request);
                if (!file)
                    return Response::fromError(file.error());
                auto url = shop.avatars().set(request.user().userId, file->bytes,
                                              file->declaredType);
                if (!url)
                    return Response::fromError(url.error());
                return Response::json(200, avatarJson(url.value()));
            },
            kImageBodyLimit);

    router.add("DELETE", QStringLiteral("/api/v1/me/avatar"), Access::SignedIn,
               [&shop, avatarJson](Request &request) {
                   if (auto s = shop.avatars().clear(request.user().userId); !s)
                       return Response::fromError(s.error());
                   return Response::json(200, avatarJson({}));
               });
}

} // namespace Mercato
