import type { Command } from "../cli/command.js";

// Placeholder until its owner lands it; every command here is replaced before release.
export const command: Command = {
  name: "build",
  summary: "",
  help: "fwx build: not available in this build yet",
  async run() {
    console.error("fwx build: not available in this build yet");
    return 1;
  },
};
