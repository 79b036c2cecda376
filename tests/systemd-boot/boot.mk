# forkline's units under a real systemd: included by the Makefile.
#
#   make check-systemd-boot   install into a stage tree, boot the machine's
#                             systemd as PID 1 of a container over it
#                             (systemd-nspawn) and run tests/systemd-boot/
#                             guest/cases/*.sh there; part of make check
#
# SDBOOT_CASES="03 07" runs only those cases. Needs root (CI is root);
# systemd-container comes from scripts/install-deps --test-tools. See
# tests/systemd-boot/run.

SDBOOT_STAGE = $(BUILD)/systemd-boot/stage

.PHONY: check-systemd-boot

# The stage is made anew each time: what make install writes now, units
# rewritten for /opt/forkline, nothing left from an earlier run.
check-systemd-boot: $(BIN)/forkline $(BIN)/forkline-bench | test-deps
	@rm -rf $(SDBOOT_STAGE)
	@$(MAKE) --no-print-directory -s install DESTDIR=$(abspath $(SDBOOT_STAGE)) \
	    PREFIX=/opt/forkline SYSCONFDIR=/opt/forkline/etc >/dev/null
	@tests/systemd-boot/run $(SDBOOT_STAGE)
