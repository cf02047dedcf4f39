/* fwx-device's broker connection options (fwx_posix_mqtt.h). Files are
 * checked before the device starts, so a wrong path is named at start-up
 * rather than found as a failing TLS handshake in a reconnect loop. */
#include "fwx_posix_mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The directory of the system's CA certificates (Debian's ca-certificates). */
#define FWX_MQTT_SYSTEM_CAPATH "/etc/ssl/certs"

static const char *env_or(const char *given, const char *name) {
  const char *v;
  if (given) return given;
  v = getenv(name);
  return v && *v ? v : NULL;
}

void fwx_mqtt_from_env(fwx_mqtt_options *o) {
  o->url = env_or(o->url, "FWX_BROKER");
  if (!o->url) o->url = "mqtt://127.0.0.1:1883";
  o->ca = env_or(o->ca, "FWX_MQTT_CA");
  o->cert = env_or(o->cert, "FWX_MQTT_CERT");
  o->key = env_or(o->key, "FWX_MQTT_KEY");
  o->username = env_or(o->username, "FWX_MQTT_USERNAME");
  o->password_file = env_or(o->password_file, "FWX_MQTT_PASSWORD_FILE");
}

static int readable(const char *flag, const char *path, char *error, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (f) {
    fclose(f);
    return 0;
  }
  snprintf(error, cap, "%s %s: cannot read it (%s)", flag, path, strerror(errno));
  return -1;
}

int fwx_mqtt_parse(fwx_mqtt_options *o, char *error, size_t cap) {
  const char *rest;
  char *end;
  size_t n;
  if (strncmp(o->url, "mqtt://", 7) == 0) {
    o->tls = 0;
    o->port = 1883;
    rest = o->url + 7;
  } else if (strncmp(o->url, "mqtts://", 8) == 0) {
    o->tls = 1;
    o->port = 8883;
    rest = o->url + 8;
  } else {
    snprintf(error, cap, "--broker %s: must be mqtt://host[:port] or mqtts://host[:port]", o->url);
    return -1;
  }
  n = strcspn(rest, ":/");
  if (n == 0 || n >= sizeof o->host) {
    snprintf(error, cap, "--broker %s: no host name (or one longer than %u characters)", o->url, (unsigned)sizeof o->host - 1u);
    return -1;
  }
  memcpy(o->host, rest, n);
  o->host[n] = '\0';
  if (rest[n] == ':') {
    long p = strtol(rest + n + 1, &end, 10);
    if (end == rest + n + 1 || (*end != '\0' && *end != '/') || p < 1 || p > 65535) {
      snprintf(error, cap, "--broker %s: the port must be 1-65535", o->url);
      return -1;
    }
    o->port = (int)p;
  }
  if (!o->tls && (o->ca || o->cert || o->key)) {
    snprintf(error, cap, "--ca, --cert and --key need an mqtts:// broker (got %s)", o->url);
    return -1;
  }
  if ((o->cert == NULL) != (o->key == NULL)) {
    snprintf(error, cap, "--cert and --key go together (the client certificate and its private key)");
    return -1;
  }
  if (o->password_file && !o->username) {
    snprintf(error, cap, "--password-file needs --username");
    return -1;
  }
  if (o->ca && readable("--ca", o->ca, error, cap) != 0) return -1;
  if (o->cert && readable("--cert", o->cert, error, cap) != 0) return -1;
  if (o->key && readable("--key", o->key, error, cap) != 0) return -1;
  if (o->password_file && readable("--password-file", o->password_file, error, cap) != 0) return -1;
  return 0;
}

int fwx_mqtt_apply(const fwx_mqtt_options *o, struct mosquitto *m, char *error, size_t cap) {
  int rc;
  if (o->tls) {
    rc = mosquitto_tls_set(m, o->ca, o->ca ? NULL : FWX_MQTT_SYSTEM_CAPATH, o->cert, o->key, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
      snprintf(error, cap, "TLS (--ca %s, --cert %s, --key %s): %s", o->ca ? o->ca : "(system)", o->cert ? o->cert : "-", o->key ? o->key : "-",
               mosquitto_strerror(rc));
      return -1;
    }
  }
  if (o->username) {
    char password[256] = "";
    if (o->password_file) {
      FILE *f = fopen(o->password_file, "r");
      size_t len;
      if (!f || !fgets(password, sizeof password, f)) {
        if (f) fclose(f);
        snprintf(error, cap, "--password-file %s: no first line to read", o->password_file);
        return -1;
      }
      fclose(f);
      len = strcspn(password, "\r\n");
      password[len] = '\0';
    }
    rc = mosquitto_username_pw_set(m, o->username, o->password_file ? password : NULL);
    memset(password, 0, sizeof password);
    if (rc != MOSQ_ERR_SUCCESS) {
      snprintf(error, cap, "--username %s: %s", o->username, mosquitto_strerror(rc));
      return -1;
    }
  }
  return 0;
}
