# Flags every Mercato target shares: strict Qt defines, warnings, sanitizers.
function(mercato_target_defaults target)
    target_compile_definitions(${target} PRIVATE
        QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_FOREACH
        QT_NO_CONTEXTLESS_CONNECT QT_USE_QSTRINGBUILDER QT_NO_URL_CAST_FROM_STRING
        QT_STRICT_ITERATORS)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(MERCATO_WARNINGS_AS_ERRORS)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()

if(MERCATO_SANITIZE)
    string(REPLACE ";" "," _mercato_san "${MERCATO_SANITIZE}")
    add_compile_options(-fsanitize=${_mercato_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${_mercato_san})
endif()
