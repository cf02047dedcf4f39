/*
 * The project's own test double of the parts of wasm3's public API that the
 * fwx glue and the device runtime use. Declarations follow wasm3's published
 * interface; the implementation (fake_wasm3.c) is a stand-in with linear
 * memories, tables of linked raw functions and scripted exports. No wasm3
 * code here.
 */
#ifndef FAKE_WASM3_H
#define FAKE_WASM3_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef const char *M3Result;

typedef struct M3Environment *IM3Environment;
typedef struct M3Runtime *IM3Runtime;
typedef struct M3Module *IM3Module;
typedef struct M3Function *IM3Function;

typedef struct M3ImportContext {
    void *userdata;
    IM3Function function;
} M3ImportContext, *IM3ImportContext;

typedef const void *(*M3RawCall)(IM3Runtime runtime, IM3ImportContext ctx, uint64_t *sp, void *mem);

typedef enum M3ValueType {
    c_m3Type_none = 0,
    c_m3Type_i32 = 1,
    c_m3Type_i64 = 2,
    c_m3Type_f32 = 3,
    c_m3Type_f64 = 4,
    c_m3Type_unknown
} M3ValueType;

typedef struct M3ErrorInfo {
    M3Result result;
    IM3Runtime runtime;
    IM3Module module;
    IM3Function function;
    const char *file;
    uint32_t line;
    const char *message;
} M3ErrorInfo;

typedef struct M3BacktraceFrame {
    uint32_t moduleOffset;
    IM3Function function;
    struct M3BacktraceFrame *next;
} M3BacktraceFrame, *IM3BacktraceFrame;

typedef struct M3BacktraceInfo {
    IM3BacktraceFrame frames;
    IM3BacktraceFrame lastFrame;
} M3BacktraceInfo, *IM3BacktraceInfo;

extern const M3Result m3Err_none;
extern const M3Result m3Err_functionLookupFailed;

IM3Environment m3_NewEnvironment(void);
void m3_FreeEnvironment(IM3Environment environment);
IM3Runtime m3_NewRuntime(IM3Environment environment, uint32_t stackSizeInBytes, void *userdata);
void m3_FreeRuntime(IM3Runtime runtime);
M3Result m3_ParseModule(IM3Environment environment, IM3Module *module, const uint8_t *const wasmBytes, uint32_t numWasmBytes);
void m3_FreeModule(IM3Module module);
M3Result m3_LoadModule(IM3Runtime runtime, IM3Module module);
M3Result m3_CompileModule(IM3Module module);
void m3_GetErrorInfo(IM3Runtime runtime, M3ErrorInfo *info);
const char *m3_GetFunctionName(IM3Function function);
/* As wasm3 built with d_m3RecordBacktraces: the frames of the last call's trap, cleared by the next call. */
IM3BacktraceInfo m3_GetBacktrace(IM3Runtime runtime);

M3Result m3_LinkRawFunction(IM3Module module, const char *moduleName, const char *functionName,
                            const char *signature, M3RawCall function);
M3Result m3_LinkRawFunctionEx(IM3Module module, const char *moduleName, const char *functionName,
                              const char *signature, M3RawCall function, const void *userdata);
uint8_t *m3_GetMemory(IM3Runtime runtime, uint32_t *memorySizeInBytes, uint32_t memoryIndex);

M3Result m3_FindFunction(IM3Function *function, IM3Runtime runtime, const char *functionName);
uint32_t m3_GetArgCount(IM3Function function);
uint32_t m3_GetRetCount(IM3Function function);
M3ValueType m3_GetArgType(IM3Function function, uint32_t index);
M3ValueType m3_GetRetType(IM3Function function, uint32_t index);
M3Result m3_CallV(IM3Function function, ...);
M3Result m3_GetResultsV(IM3Function function, ...);

#ifdef __cplusplus
}
#endif

#endif /* FAKE_WASM3_H */
