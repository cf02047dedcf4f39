/*
 * fwx_code_check.h: instruction decoding for the install check (internal to
 * fwx_module_check.c; fwx_module_check.h includes it only for the size of
 * its stacks in fwx_check_work_t). It reads every instruction of a function body or a
 * constant expression: immediates, index bounds, block nesting, the final
 * `end`, and refuses every instruction outside the feature set wasm3 runs
 * (src/wasm/features.ts: MVP, sign extension, saturating float-to-int,
 * multi-value, memory.copy and memory.fill), and checks operand types as
 * the WebAssembly validation algorithm does.
 */
#ifndef FWX_CODE_CHECK_H
#define FWX_CODE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "fwx_check_limits.h"
#include "fwx_wasm_read.h"

/* The operand-stack and nesting bounds of the type check are resource limits
 * of the mcu class (FWX_LIMIT_OPERAND_STACK, FWX_LIMIT_BLOCK_DEPTH in
 * fwx_check_limits.h; operandStack, blockDepth in src/validate/limits.ts,
 * whose decoder counts by the same rules: src/wasm/code-shape.ts). Past them
 * a body is refused as over a limit. */

/* One open block of the type check. block_type is 0x40 (empty), a value-type
 * byte, or 0x100 + a type index (below FWX_LIMIT_TYPES), so 16 bits hold it. */
typedef struct fwx_code_frame {
    uint16_t block_type;
    uint16_t height;     /* operand stack height at entry (params excluded) */
    uint8_t kind;
    uint8_t unreachable;
} fwx_code_frame_t;

/* The type check's stacks: caller storage (fwx_check_work_t), so the check
 * holds no static state and a task stack need not hold them. */
typedef struct fwx_code_stack {
    uint8_t operands[FWX_LIMIT_OPERAND_STACK];
    fwx_code_frame_t frames[FWX_LIMIT_BLOCK_DEPTH + 1u]; /* frames[0] is the function body */
} fwx_code_stack_t;

/* The index spaces immediates are checked against, and the types operands
 * are checked against. */
typedef struct fwx_code_ctx {
    uint32_t type_count;
    uint32_t func_count;
    uint32_t table_count;
    uint32_t memory_count;
    uint32_t global_count;
    uint32_t imported_globals;
    uint32_t elem_count;
    const uint8_t *bytes;          /* the module */
    const uint32_t *type_offsets;  /* per type: offset of its parameter vector */
    const uint16_t *func_types;    /* per function (imports first): its type index */
    const uint8_t *global_types;   /* per global: value type byte, | 0x80 when mutable */
    fwx_code_stack_t *stack;       /* the body check's operand and block stacks */
} fwx_code_ctx_t;

typedef enum fwx_code_error {
    FWX_CODE_OK = 0,
    FWX_CODE_MALFORMED,   /* unknown opcode, index out of range, bad nesting, ... */
    FWX_CODE_UNSUPPORTED, /* a valid instruction or type of a feature wasm3 cannot run */
    FWX_CODE_TYPE,        /* operand types do not match, or a value count at a block end */
    FWX_CODE_LIMIT,       /* past FWX_LIMIT_OPERAND_STACK or FWX_LIMIT_BLOCK_DEPTH (fwx_check_limits.h) */
    FWX_CODE_READ         /* the cursor failed (truncated, LEB overflow): see its error */
} fwx_code_error_t;

typedef struct fwx_code_result {
    fwx_code_error_t error;
    uint32_t at;
} fwx_code_result_t;

/* What a value-type byte is: 1 numeric (i32, i64, f32, f64), 0 a type of a
 * feature wasm3 lacks (v128, references), -1 no value type at all. */
int fwx_code_value_type(uint8_t b);

/* A constant expression up to and including its `end`. *single_opcode is the
 * opcode of its one instruction when it has exactly one before `end`, else 0. */
bool fwx_code_check_expr(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, fwx_code_result_t *res, uint8_t *single_opcode);

/* Whether the constant expression just checked (from `start`) yields one
 * value of type `type` (a value-type byte), as a validator requires. */
bool fwx_code_expr_type(const fwx_code_ctx_t *ctx, uint32_t start, uint8_t type);

/* The instructions of a body (after its locals) up to its final `end`;
 * `locals` counts parameters and declared locals. The caller checks that
 * the body ends there. Bodies longer than FWX_LIMIT_BODY_BYTES are refused
 * by the caller first, which bounds the nesting this tracks. */
bool fwx_code_check_body(fwx_cursor_t *c, const fwx_code_ctx_t *ctx, uint32_t type_index, const uint8_t *local_types, uint32_t locals, fwx_code_result_t *res);

#endif /* FWX_CODE_CHECK_H */
