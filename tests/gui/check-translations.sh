#!/bin/sh
# The build's English catalogue (build/translations/mercato_en.ts, made by lupdate) holds the
# console's strings, and no sentence in ui/ bypasses tr().
#   tests/gui/check-translations.sh TS_FILE SOURCE_DIR
set -u
ts=$1
src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -s "$ts" ] || fail "$ts is missing or empty (is qt6-l10n-tools installed?)"
grep -q '<TS version="[0-9.]*" language="en"' "$ts" || fail "$ts is not an English .ts file"
messages=$(grep -c '<message' "$ts")
[ "$messages" -ge 300 ] || fail "only $messages messages in $ts"
for context in MainWindow SettingsPage ProductsPage OrdersPage InventoryPage AfterSalesPage \
               CustomersPage NotificationsPage DashboardPage ServerPage SetupWizard LoginDialog \
               ConnectionChecks ExportMenu; do
    grep -q "<name>\(Mercato::\)\?$context</name>" "$ts" || fail "no context $context in $ts"
done
for s in 'Test connection' 'Sa&amp;ve keys' 'Mercato is locked. Sign in to continue.' \
         'Test cancelled.' 'UTF-8 &amp;BOM for spreadsheets'; do
    grep -qF "<source>$s</source>" "$ts" || fail "\"$s\" is not in $ts"
done
# A capitalised English word followed by more text inside QStringLiteral/QLatin1String in ui/
# is a sentence shown without tr(); page ids ("Refunds & Complaints") and accessible names
# looked up by code are names, not text.
bare=$(grep -nE '(QStringLiteral|QLatin1String)\("[A-Z][a-z]+[ ,.:!?]' "$src"/ui/*.cpp \
       | grep -v -e 'Refunds & Complaints' -e 'Discount codes' -e 'accessibleName() ==' || true)
[ -z "$bare" ] || fail "strings without tr():
$bare"
echo "$messages messages in $ts"
