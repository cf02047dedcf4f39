/*
 * fwx_check_limits.h: the resource limits of the "mcu" device class, number
 * for number the `mcu` column of src/validate/limits.ts (tests/validate/
 * one-verdict-corpus.test.ts compares the two). A board may lower one by
 * defining it before this header is included.
 */
#ifndef FWX_CHECK_LIMITS_H
#define FWX_CHECK_LIMITS_H

#ifndef FWX_LIMIT_MODULE_BYTES
#define FWX_LIMIT_MODULE_BYTES 262144u      /* moduleBytes: the whole module file */
#endif
#ifndef FWX_LIMIT_SECTION_BYTES
#define FWX_LIMIT_SECTION_BYTES 262144u     /* sectionBytes: any one section's payload */
#endif
#ifndef FWX_LIMIT_NAME_SECTION_BYTES
#define FWX_LIMIT_NAME_SECTION_BYTES 65536u /* nameSectionBytes */
#endif
#ifndef FWX_LIMIT_TYPES
#define FWX_LIMIT_TYPES 512u                /* types */
#endif
#ifndef FWX_LIMIT_IMPORTS
#define FWX_LIMIT_IMPORTS 256u              /* imports */
#endif
#ifndef FWX_LIMIT_FUNCTIONS
#define FWX_LIMIT_FUNCTIONS 1024u           /* functions: defined ones */
#endif
#ifndef FWX_LIMIT_BODY_BYTES
#define FWX_LIMIT_BODY_BYTES 65536u         /* bodyBytes: one body, locals included */
#endif
#ifndef FWX_LIMIT_LOCALS_PER_FUNCTION
#define FWX_LIMIT_LOCALS_PER_FUNCTION 512u  /* localsPerFunction: params + locals */
#endif
#ifndef FWX_LIMIT_OPERAND_STACK
#define FWX_LIMIT_OPERAND_STACK 1024u       /* operandStack: values on one function's operand stack at once */
#endif
#ifndef FWX_LIMIT_BLOCK_DEPTH
#define FWX_LIMIT_BLOCK_DEPTH 512u          /* blockDepth: blocks open at once in one function, its body not counted */
#endif
#ifndef FWX_LIMIT_GLOBALS
#define FWX_LIMIT_GLOBALS 256u              /* globals: the global section's count */
#endif
#ifndef FWX_LIMIT_EXPORTS
#define FWX_LIMIT_EXPORTS 128u              /* exports */
#endif
#ifndef FWX_LIMIT_TABLE_ENTRIES
#define FWX_LIMIT_TABLE_ENTRIES 1024u       /* tableEntries: initial size of any table */
#endif
#ifndef FWX_LIMIT_ELEMENT_SEGMENTS
#define FWX_LIMIT_ELEMENT_SEGMENTS 64u      /* elementSegments */
#endif
#ifndef FWX_LIMIT_ELEMENT_ENTRIES
#define FWX_LIMIT_ELEMENT_ENTRIES 1024u     /* elementEntries: over all segments */
#endif
#ifndef FWX_LIMIT_DATA_SEGMENTS
#define FWX_LIMIT_DATA_SEGMENTS 2048u       /* dataSegments */
#endif

/* The type checker's frame heights are 16-bit. */
#if FWX_LIMIT_OPERAND_STACK > 65535u
#error "FWX_LIMIT_OPERAND_STACK must fit in 16 bits"
#endif

/* Not a resource limit but a wasm engine bound that the TypeScript parser
 * applies too (src/wasm/reader.ts MAX_LOCALS): past it a body is malformed. */
#define FWX_CHECK_MAX_LOCALS 50000u

/* The RAM budget when the caller gives none (src/validate/types.ts DEFAULT_RAM_BUDGET). */
#define FWX_CHECK_DEFAULT_RAM_BUDGET 65536u

#endif /* FWX_CHECK_LIMITS_H */
