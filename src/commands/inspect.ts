import type { Command } from "../cli/command.js";

// Placeholder until its owner lands it; every command here is replaced before release.
export const command: Command = {
  name: "inspect",
  summary: "",
  help: "fwx inspect: not available in this build yet",
  async run() {
    console.error("fwx inspect: not available in this build yet");
    return 1;
  },
};
