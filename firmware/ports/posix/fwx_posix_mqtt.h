/* How fwx-device reaches its broker: the URL, TLS with a private CA and a
 * client certificate, and a username and password, with the flags and
 * environment variables of `fwx agent` (--broker/FWX_BROKER, --ca/FWX_MQTT_CA,
 * --cert/FWX_MQTT_CERT, --key/FWX_MQTT_KEY, --username/FWX_MQTT_USERNAME,
 * --password-file/FWX_MQTT_PASSWORD_FILE). docs/fleet-brokers.md. */
#ifndef FWX_POSIX_MQTT_H
#define FWX_POSIX_MQTT_H

#include <stddef.h>

struct mosquitto;

typedef struct fwx_mqtt_options {
  const char *url;      /* mqtt://host[:port] (1883) or mqtts://host[:port] (8883) */
  const char *ca;       /* PEM CA file the broker's certificate must chain to; the system's CAs when NULL */
  const char *cert;     /* PEM client certificate (this device's transport identity) */
  const char *key;      /* its PEM private key */
  const char *username;
  const char *password_file; /* the password is the file's first line */
  /* Filled by fwx_mqtt_parse: */
  char host[200];
  int port;
  int tls;
} fwx_mqtt_options;

/* Unset options from the environment, as fwx agent takes them. */
void fwx_mqtt_from_env(fwx_mqtt_options *o);

/* Checks the options and splits the URL. 0, or -1 with what is wrong (naming the flag and the file) in error. */
int fwx_mqtt_parse(fwx_mqtt_options *o, char *error, size_t cap);

/* Applies TLS and the login to a client made with mosquitto_new. 0, or -1 with the reason in error. */
int fwx_mqtt_apply(const fwx_mqtt_options *o, struct mosquitto *m, char *error, size_t cap);

#endif
