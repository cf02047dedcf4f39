/** Node flags for the processes the tests start: see child-node.mjs. */
export declare const CHILD_NODE_FLAGS: readonly string[];
