// Messages to the cloud under the device's topic prefix; the module names only
// the last part of the topic ("alarm", "readings/cold_room").
import { Status } from "./raw/types";
import { telemetry_publish } from "./raw/telemetry";
import { encodeName, encodeText, utf8Len, utf8Ptr } from "./internal/scratch";
import { Json } from "./json";

/** Publishing to the cloud; the host adds the device's topic prefix. */
export class Telemetry {
  /** Publishes `payload` (at most 1 KiB) on `topic`; NotPermitted outside the granted topics. */
  static publish(topic: string, payload: Uint8Array): Status {
    encodeName(topic);
    return <Status>telemetry_publish(utf8Ptr, utf8Len, payload.dataStart, <usize>payload.byteLength);
  }

  /** Publishes the UTF-8 of `payload` on `topic`. */
  static publishString(topic: string, payload: string): Status {
    encodeName(topic);
    const topicPtr = utf8Ptr;
    const topicLen = utf8Len;
    encodeText(payload);
    return <Status>telemetry_publish(topicPtr, topicLen, utf8Ptr, utf8Len);
  }

  /** Closes the object started with Json.begin() and publishes it. NoSpace when it overflowed. */
  static publishJson(topic: string): Status {
    if (!Json.end()) return Status.NoSpace;
    encodeName(topic);
    return <Status>telemetry_publish(utf8Ptr, utf8Len, Json.ptr, Json.length);
  }

  /**
   * publishJson with the topic's UTF-8 at `topic`. Not meant to be called by
   * hand: `fwx build` turns `Telemetry.publishJson("literal")` into this call.
   */
  static publishJsonStatic(topic: usize, topicLength: usize): Status {
    if (!Json.end()) return Status.NoSpace;
    return <Status>telemetry_publish(topic, topicLength, Json.ptr, Json.length);
  }
}
