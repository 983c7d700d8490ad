/* assets/pricing.json, built into the binary so tollgate prices logs without
 * finding a file at run time. NUL-terminated. */
    .section .rodata
    .global tg_pricing_builtin_json
    .global tg_pricing_builtin_json_end
tg_pricing_builtin_json:
    .incbin "assets/pricing.json"
tg_pricing_builtin_json_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
