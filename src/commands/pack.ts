import type { Command } from "../cli/command.js";

// Placeholder until its owner lands it; every command here is replaced before release.
export const command: Command = {
  name: "pack",
  summary: "",
  help: "fwx pack: not available in this build yet",
  async run() {
    console.error("fwx pack: not available in this build yet");
    return 1;
  },
};
