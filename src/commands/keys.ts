import type { Command } from "../cli/command.js";

// Placeholder until its owner lands it; every command here is replaced before release.
export const command: Command = {
  name: "keys",
  summary: "",
  help: "fwx keys: not available in this build yet",
  async run() {
    console.error("fwx keys: not available in this build yet");
    return 1;
  },
};
