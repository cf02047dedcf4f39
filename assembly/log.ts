// Log lines attributed to this module. The host truncates a line at 256 bytes
// and may drop lines below its level (still Ok) or over its rate (Busy).
import { LogLevel } from "./raw/types";
import { Status } from "./raw/types";
import { core_log } from "./raw/core";
import { encodeText, utf8Len, utf8Ptr } from "./internal/scratch";

export { LogLevel };

export class Log {
  static write(level: LogLevel, message: string): Status {
    encodeText(message);
    return <Status>core_log(level, utf8Ptr, utf8Len);
  }

  static debug(message: string): Status {
    return Log.write(LogLevel.Debug, message);
  }

  static info(message: string): Status {
    return Log.write(LogLevel.Info, message);
  }

  static warn(message: string): Status {
    return Log.write(LogLevel.Warn, message);
  }

  static error(message: string): Status {
    return Log.write(LogLevel.Error, message);
  }
}
