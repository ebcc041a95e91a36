# stage1/measure-image.mk: `make images` also makes
# $(O)/images/measure-image.tar, the measurement slice's image
# (stage1/measure-image.sh: BusyBox, epoxy-tcpinfo, epoxy-pusher, their
# libraries, the fleet CA and node/measure/measure.sh as /bin/measure),
# which an operator publishes with `epoxyctl image publish` and names in
# the measurement slice (docs/guide/70-measurement.md, "On a node";
# tests/qemu/run-measure).  Reproducible as the other images.
MEASURE_IMAGE := $(IMG)/measure-image.tar

images: $(MEASURE_IMAGE)

$(MEASURE_IMAGE): $(ISRC)/epoxy-tcpinfo $(ISRC)/epoxy-pusher $(KEYS_STAMP) \
		stage1/measure-image.sh node/measure/measure.sh
	@mkdir -p $(@D)
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) sh stage1/measure-image.sh $@ $(ISRC) $(KEYS)/ca.crt
