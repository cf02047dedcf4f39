import type { Command } from "../cli/command.js";

// Placeholder until its owner lands it; every command here is replaced before release.
export const command: Command = {
  name: "remove",
  summary: "",
  help: "fwx remove: not available in this build yet",
  async run() {
    console.error("fwx remove: not available in this build yet");
    return 1;
  },
};
