// The operand-stack height and block nesting a function body needs, measured
// while decodeInstructions (code.ts) walks it: the one walk, no second copy.
// The rules are those of the C install check's type checker
// (firmware/fwx_code_check.c), which refuses a body past
// FWX_LIMIT_OPERAND_STACK values or FWX_LIMIT_BLOCK_DEPTH nested blocks:
//   - the function's parameters are locals, not operands: the height starts at 0;
//   - block, loop and if take their parameters off the stack and push them
//     back inside the new block (if first pops its condition);
//   - else and end drop to the block's entry height, then push the block's
//     parameters (else) or results (end);
//   - a branch carries a loop's parameters or another block's results;
//     br_if pops its condition and the carried values and pushes them back;
//   - after unreachable, br, br_table and return the rest of the block is
//     unreachable: the height drops to the block's entry and pops below it
//     pop nothing, while pushes still count;
//   - call pops the callee's parameters and pushes its results, call_indirect
//     pops the table index first; every other instruction has a fixed effect
//     (OpInfo.stack).
// Operand types are V8's to check (the validator compiles every module it
// would accept), so only counts are tracked here; in a body that fails type
// checking the counts may differ from C's, but both refuse that body anyway.

import type { OpInfo } from "./opcodes.js";

/** What a function body needs; offsets are absolute in the module. */
export interface BodyShape {
  /** Most values on the operand stack at once. */
  maxOperands: number;
  /** Most blocks (block, loop, if) open at once, the function body itself not counted. */
  maxBlockDepth: number;
  /** The first instruction that takes the height past `bounds.operandStack`, if one does. */
  operandsOverAt?: number;
  /** The first block that takes the nesting past `bounds.blockDepth`, if one does. */
  blockDepthOverAt?: number;
}

export interface ShapeBounds {
  operandStack: number;
  blockDepth: number;
}

/** Values in and out of a block, or of a function. */
export interface Arity {
  params: number;
  results: number;
}

interface Frame extends Arity {
  /** Operand height when the block was entered, its parameters excluded. */
  height: number;
  loop: boolean;
  unreachable: boolean;
}

export class ShapeTracker {
  private readonly frames: Frame[];
  private height = 0;
  /** The innermost block's entry height: pops stop there. */
  private floor = 0;
  private maxOperands = 0;
  private maxBlockDepth = 0;
  private operandsOverAt = -1;
  private blockDepthOverAt = -1;
  /** False once an instruction outside wasm3's set appears: the module is refused for that. */
  private measurable = true;
  private readonly operandBound: number;
  private readonly depthBound: number;

  constructor(fn: Arity, bounds: ShapeBounds = { operandStack: Infinity, blockDepth: Infinity }) {
    this.frames = [{ params: 0, results: fn.results, height: 0, loop: false, unreachable: false }];
    this.operandBound = bounds.operandStack;
    this.depthBound = bounds.blockDepth;
  }

  /** The measured shape, or undefined when the body uses an instruction wasm3 cannot run. */
  result(): BodyShape | undefined {
    if (!this.measurable) return undefined;
    const shape: BodyShape = { maxOperands: this.maxOperands, maxBlockDepth: this.maxBlockDepth };
    if (this.operandsOverAt >= 0) shape.operandsOverAt = this.operandsOverAt;
    if (this.blockDepthOverAt >= 0) shape.blockDepthOverAt = this.blockDepthOverAt;
    return shape;
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private pop(n: number): void {
    const h = this.height - n;
    this.height = h < this.floor ? this.floor : h;
  }

  private push(n: number, at: number): void {
    const h = this.height + n;
    this.height = h;
    if (h > this.maxOperands) {
      this.maxOperands = h;
      if (h > this.operandBound && this.operandsOverAt < 0) this.operandsOverAt = at;
    }
  }

  private setUnreachable(): void {
    const f = this.top();
    this.height = f.height;
    f.unreachable = true;
  }

  /** Values a branch to `label` carries. */
  private carried(label: number): number {
    const f = this.frames[this.frames.length - 1 - label];
    if (!f) return 0; // out of range: the decoder has refused it already
    return f.loop ? f.params : f.results;
  }

  /**
   * One decoded instruction at `at`. `block` is the arity of a block type
   * (block, loop, if), `label` a branch target, `callee` a call's arity.
   */
  step(info: OpInfo, at: number, imm: { block: Arity; label: number; callee: Arity }): void {
    const fixed = info.stack;
    if (fixed !== undefined) {
      this.pop(fixed[0]);
      this.push(fixed[1], at);
      return;
    }
    if (!this.measurable) return;
    switch (info.name) {
      case "block": case "loop": case "if": {
        if (info.name === "if") this.pop(1);
        this.pop(imm.block.params);
        this.frames.push({ params: imm.block.params, results: imm.block.results, height: this.height, loop: info.name === "loop", unreachable: false });
        this.floor = this.height;
        const depth = this.frames.length - 1;
        if (depth > this.maxBlockDepth) {
          this.maxBlockDepth = depth;
          if (depth > this.depthBound && this.blockDepthOverAt < 0) this.blockDepthOverAt = at;
        }
        this.push(imm.block.params, at);
        return;
      }
      case "else": {
        const f = this.top();
        this.height = f.height;
        f.unreachable = false;
        this.push(f.params, at);
        return;
      }
      case "end": {
        const f = this.frames.pop()!;
        this.height = f.height;
        if (this.frames.length === 0) return;
        this.floor = this.top().height;
        this.push(f.results, at);
        return;
      }
      case "unreachable": this.setUnreachable(); return;
      case "br": this.pop(this.carried(imm.label)); this.setUnreachable(); return;
      case "br_if": {
        const n = this.carried(imm.label);
        this.pop(1 + n);
        this.push(n, at);
        return;
      }
      case "br_table": this.pop(1); this.setUnreachable(); return;
      case "return": this.pop(this.frames[0]!.results); this.setUnreachable(); return;
      case "call_indirect": this.pop(1); // then as call
      // falls through
      case "call": this.pop(imm.callee.params); this.push(imm.callee.results, at); return;
      default: this.measurable = false;
    }
  }
}
