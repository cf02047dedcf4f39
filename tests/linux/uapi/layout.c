/* Prints the kernel uAPI facts src/linux/uapi.ts encodes, straight from the
   installed kernel headers (Debian linux-libc-dev), as "name value" lines. */
#include <stddef.h>
#include <stdio.h>
#include <linux/gpio.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include <linux/spi/spidev.h>

#define P(name, v) printf("%s %llu\n", name, (unsigned long long)(v))
#define OFF(t, f) offsetof(struct t, f)

int main(void) {
  P("GPIO_V2_LINES_MAX", GPIO_V2_LINES_MAX);
  P("GPIO_MAX_NAME_SIZE", GPIO_MAX_NAME_SIZE);
  P("GPIO_V2_LINE_NUM_ATTRS_MAX", GPIO_V2_LINE_NUM_ATTRS_MAX);
  P("flag.USED", GPIO_V2_LINE_FLAG_USED);
  P("flag.ACTIVE_LOW", GPIO_V2_LINE_FLAG_ACTIVE_LOW);
  P("flag.INPUT", GPIO_V2_LINE_FLAG_INPUT);
  P("flag.OUTPUT", GPIO_V2_LINE_FLAG_OUTPUT);
  P("flag.EDGE_RISING", GPIO_V2_LINE_FLAG_EDGE_RISING);
  P("flag.EDGE_FALLING", GPIO_V2_LINE_FLAG_EDGE_FALLING);
  P("flag.OPEN_DRAIN", GPIO_V2_LINE_FLAG_OPEN_DRAIN);
  P("flag.OPEN_SOURCE", GPIO_V2_LINE_FLAG_OPEN_SOURCE);
  P("flag.BIAS_PULL_UP", GPIO_V2_LINE_FLAG_BIAS_PULL_UP);
  P("flag.BIAS_PULL_DOWN", GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN);
  P("flag.BIAS_DISABLED", GPIO_V2_LINE_FLAG_BIAS_DISABLED);
  P("flag.EVENT_CLOCK_REALTIME", GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME);
  P("attr.FLAGS", GPIO_V2_LINE_ATTR_ID_FLAGS);
  P("attr.OUTPUT_VALUES", GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES);
  P("attr.DEBOUNCE", GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
  P("event.RISING_EDGE", GPIO_V2_LINE_EVENT_RISING_EDGE);
  P("event.FALLING_EDGE", GPIO_V2_LINE_EVENT_FALLING_EDGE);
  P("chipInfo.size", sizeof(struct gpiochip_info));
  P("chipInfo.name", OFF(gpiochip_info, name));
  P("chipInfo.label", OFF(gpiochip_info, label));
  P("chipInfo.lines", OFF(gpiochip_info, lines));
  P("GPIO_GET_CHIPINFO_IOCTL", GPIO_GET_CHIPINFO_IOCTL);
  P("lineInfo.size", sizeof(struct gpio_v2_line_info));
  P("lineInfo.name", OFF(gpio_v2_line_info, name));
  P("lineInfo.consumer", OFF(gpio_v2_line_info, consumer));
  P("lineInfo.offset", OFF(gpio_v2_line_info, offset));
  P("lineInfo.numAttrs", OFF(gpio_v2_line_info, num_attrs));
  P("lineInfo.flags", OFF(gpio_v2_line_info, flags));
  P("lineInfo.attrs", OFF(gpio_v2_line_info, attrs));
  P("GPIO_V2_GET_LINEINFO_IOCTL", GPIO_V2_GET_LINEINFO_IOCTL);
  P("lineAttribute.size", sizeof(struct gpio_v2_line_attribute));
  P("lineAttribute.id", OFF(gpio_v2_line_attribute, id));
  P("lineAttribute.value", OFF(gpio_v2_line_attribute, values));
  P("lineConfigAttribute.size", sizeof(struct gpio_v2_line_config_attribute));
  P("lineConfigAttribute.attr", OFF(gpio_v2_line_config_attribute, attr));
  P("lineConfigAttribute.mask", OFF(gpio_v2_line_config_attribute, mask));
  P("lineConfig.size", sizeof(struct gpio_v2_line_config));
  P("lineConfig.flags", OFF(gpio_v2_line_config, flags));
  P("lineConfig.numAttrs", OFF(gpio_v2_line_config, num_attrs));
  P("lineConfig.attrs", OFF(gpio_v2_line_config, attrs));
  P("lineRequest.size", sizeof(struct gpio_v2_line_request));
  P("lineRequest.offsets", OFF(gpio_v2_line_request, offsets));
  P("lineRequest.consumer", OFF(gpio_v2_line_request, consumer));
  P("lineRequest.config", OFF(gpio_v2_line_request, config));
  P("lineRequest.numLines", OFF(gpio_v2_line_request, num_lines));
  P("lineRequest.eventBufferSize", OFF(gpio_v2_line_request, event_buffer_size));
  P("lineRequest.fd", OFF(gpio_v2_line_request, fd));
  P("lineValues.size", sizeof(struct gpio_v2_line_values));
  P("lineValues.bits", OFF(gpio_v2_line_values, bits));
  P("lineValues.mask", OFF(gpio_v2_line_values, mask));
  P("lineEvent.size", sizeof(struct gpio_v2_line_event));
  P("lineEvent.timestampNs", OFF(gpio_v2_line_event, timestamp_ns));
  P("lineEvent.id", OFF(gpio_v2_line_event, id));
  P("lineEvent.offset", OFF(gpio_v2_line_event, offset));
  P("lineEvent.seqno", OFF(gpio_v2_line_event, seqno));
  P("lineEvent.lineSeqno", OFF(gpio_v2_line_event, line_seqno));
  P("GPIO_V2_GET_LINE_IOCTL", GPIO_V2_GET_LINE_IOCTL);
  P("GPIO_V2_LINE_SET_CONFIG_IOCTL", GPIO_V2_LINE_SET_CONFIG_IOCTL);
  P("GPIO_V2_LINE_GET_VALUES_IOCTL", GPIO_V2_LINE_GET_VALUES_IOCTL);
  P("GPIO_V2_LINE_SET_VALUES_IOCTL", GPIO_V2_LINE_SET_VALUES_IOCTL);
  P("I2C_SLAVE", I2C_SLAVE);
  P("I2C_FUNCS", I2C_FUNCS);
  P("I2C_RDWR", I2C_RDWR);
  P("I2C_M_RD", I2C_M_RD);
  P("I2C_FUNC_I2C", I2C_FUNC_I2C);
  P("I2C_RDWR_IOCTL_MAX_MSGS", I2C_RDWR_IOCTL_MAX_MSGS);
  P("msg.size", sizeof(struct i2c_msg));
  P("msg.addr", OFF(i2c_msg, addr));
  P("msg.flags", OFF(i2c_msg, flags));
  P("msg.len", OFF(i2c_msg, len));
  P("msg.buf", OFF(i2c_msg, buf));
  P("rdwrData.size", sizeof(struct i2c_rdwr_ioctl_data));
  P("rdwrData.msgs", OFF(i2c_rdwr_ioctl_data, msgs));
  P("rdwrData.nmsgs", OFF(i2c_rdwr_ioctl_data, nmsgs));
  P("transfer.size", sizeof(struct spi_ioc_transfer));
  P("transfer.txBuf", OFF(spi_ioc_transfer, tx_buf));
  P("transfer.rxBuf", OFF(spi_ioc_transfer, rx_buf));
  P("transfer.len", OFF(spi_ioc_transfer, len));
  P("transfer.speedHz", OFF(spi_ioc_transfer, speed_hz));
  P("transfer.delayUsecs", OFF(spi_ioc_transfer, delay_usecs));
  P("transfer.bitsPerWord", OFF(spi_ioc_transfer, bits_per_word));
  P("transfer.csChange", OFF(spi_ioc_transfer, cs_change));
  P("transfer.txNbits", OFF(spi_ioc_transfer, tx_nbits));
  P("transfer.rxNbits", OFF(spi_ioc_transfer, rx_nbits));
  P("transfer.wordDelayUsecs", OFF(spi_ioc_transfer, word_delay_usecs));
  P("SPI_IOC_MESSAGE(1)", SPI_IOC_MESSAGE(1));
  P("SPI_IOC_MESSAGE(3)", SPI_IOC_MESSAGE(3));
  P("SPI_IOC_RD_MODE", SPI_IOC_RD_MODE);
  P("SPI_IOC_WR_MODE", SPI_IOC_WR_MODE);
  P("SPI_IOC_RD_BITS_PER_WORD", SPI_IOC_RD_BITS_PER_WORD);
  P("SPI_IOC_WR_BITS_PER_WORD", SPI_IOC_WR_BITS_PER_WORD);
  P("SPI_IOC_RD_MAX_SPEED_HZ", SPI_IOC_RD_MAX_SPEED_HZ);
  P("SPI_IOC_WR_MAX_SPEED_HZ", SPI_IOC_WR_MAX_SPEED_HZ);
  P("SPI_IOC_WR_MODE32", SPI_IOC_WR_MODE32);
  P("SPI_CPHA", SPI_CPHA);
  P("SPI_CPOL", SPI_CPOL);
  return 0;
}
