import type { Command } from "../cli/command.js";

// Placeholder until its owner lands it; every command here is replaced before release.
export const command: Command = {
  name: "broker",
  summary: "",
  help: "fwx broker: not available in this build yet",
  async run() {
    console.error("fwx broker: not available in this build yet");
    return 1;
  },
};
