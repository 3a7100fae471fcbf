# The Debian package (ops/package.sh builds it; CPack's DEB generator):
# tuttid, the prompts, the configuration of an installed system as a
# conffile, the systemd unit, logrotate rules and the maintainer scripts
# (the system user, its directories, the API token). Included by the
# top-level CMakeLists.txt; nothing here changes what the build makes.

# In `text`, `old` (which must be there exactly once) becomes `new`.
function(tutti_replace_once var old new)
  string(FIND "${${var}}" "${old}" first)
  string(FIND "${${var}}" "${old}" final REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL final)
    message(FATAL_ERROR "ops/package/packaging.cmake: ops/tutti.toml must hold once: ${old}")
  endif()
  string(REPLACE "${old}" "${new}" replaced "${${var}}")
  set(${var} "${replaced}" PARENT_SCOPE)
endfunction()
# /etc/tutti/tutti.toml is ops/tutti.toml, every comment and default kept,
# with the paths of an installed system: state in /var/lib/tutti, call
# records in /var/log/tutti, prompts in /usr/share/tutti, token and TLS pair
# in /etc/tutti. Each replaced line must be in ops/tutti.toml exactly once,
# so a change there that a path here no longer matches stops the configure.
function(tutti_packaged_config out)
  file(READ ${PROJECT_SOURCE_DIR}/ops/tutti.toml text)
  tutti_replace_once(text
    "`tuttid` with no --config runs exactly this. Copy it, change it, and start\n"
    "`tuttid` with no --config runs exactly this. The Debian package installs\n# it as /etc/tutti/tutti.toml (a conffile: your changes are kept on\n# upgrades) with the paths of an installed system. `systemctl reload\n# tutti` applies what may change without a restart. Start it by hand with\n")
  tutti_replace_once(text
    "# ops/setup.sh makes a self-signed pair at these paths (relative to where\n# tuttid runs) when they are missing."
    "# The package made a self-signed pair for 127.0.0.1 at these paths at\n# install; put a certificate your callers trust in their place.")
  tutti_replace_once(text
    "tls_certificate = \"ops/tls/generated/tutti-cert.pem\"\n"
    "tls_certificate = \"/etc/tutti/tls/tutti-cert.pem\"\n")
  tutti_replace_once(text
    "tls_private_key = \"ops/tls/generated/tutti-key.pem\"\n"
    "tls_private_key = \"/etc/tutti/tls/tutti-key.pem\"\n")
  tutti_replace_once(text
    "\npath = \"tutti-calls.jsonl\"\n"
    "\npath = \"/var/log/tutti/calls.jsonl\"\n")
  tutti_replace_once(text
    "\npath = \"tutti-rooms.db\"\n"
    "\npath = \"/var/lib/tutti/rooms.db\"\n")
  tutti_replace_once(text
    "\ndir = \"recordings\"\n"
    "\ndir = \"/var/lib/tutti/recordings\"\n")
  tutti_replace_once(text
    "\ndir = \"ops/prompts/generated\"\n"
    "\ndir = \"/usr/share/tutti/prompts\"\n")
  tutti_replace_once(text
    "\ndir = \"files\"\n"
    "\ndir = \"/var/lib/tutti/files\"\n")
  tutti_replace_once(text
    "\ntoken_file = \"tutti-api-token\"\n"
    "\ntoken_file = \"/etc/tutti/api-token\"\n")
  file(WRITE ${out} "${text}")
endfunction()
set(TUTTI_PACKAGED_CONFIG ${PROJECT_BINARY_DIR}/package/tutti.toml)
tutti_packaged_config(${TUTTI_PACKAGED_CONFIG})

set(dir ${CMAKE_CURRENT_LIST_DIR})
install(TARGETS tuttid RUNTIME DESTINATION bin)
# Made by ops/prompts/make_prompts.sh (ops/setup.sh, ops/package.sh).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/ops/prompts/generated/ DESTINATION share/tutti/prompts
        FILES_MATCHING PATTERN "*.wav")
# The token and the TLS pair, made by postinst as ops/setup.sh makes them.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/ops/make_api_token.sh
                 ${PROJECT_SOURCE_DIR}/ops/tls/make_certificate.sh
        DESTINATION share/tutti)
install(FILES ${TUTTI_PACKAGED_CONFIG} DESTINATION /etc/tutti)
install(FILES ${dir}/logrotate DESTINATION /etc/logrotate.d RENAME tutti)
install(FILES ${dir}/tutti.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/ops/DPDK.md
              ${PROJECT_SOURCE_DIR}/ops/openapi.yaml
        DESTINATION share/doc/tutti)
install(FILES ${dir}/dpdk.conf DESTINATION share/doc/tutti/examples)
# Monitoring (README "Monitoring"): the Grafana dashboard to import and the
# Prometheus alert rules and scrape example to load.
install(FILES ${PROJECT_SOURCE_DIR}/ops/grafana/tutti-dashboard.json DESTINATION share/tutti/grafana)
install(FILES ${PROJECT_SOURCE_DIR}/ops/prometheus/tutti-alerts.yml
              ${PROJECT_SOURCE_DIR}/ops/prometheus/prometheus.example.yml
        DESTINATION share/tutti/prometheus)

# `cpack` (and `ninja install`) must not build every test and benchmark
# first: ops/package.sh builds tuttid, the one thing packaged.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tutti)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SIP conference bridge and media server")
set(CPACK_PACKAGE_DESCRIPTION
    "tuttid answers SIP calls into conference rooms and mixes their audio on\n"
    "per-core mixers (kernel sockets or DPDK), with a dial-in IVR, recording,\n"
    "call records, a control API and Prometheus metrics.")
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_PACKAGE_CONTACT "tutti maintainers <root@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The libraries' packages from dpkg-shlibdeps, and what the scripts run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, openssl")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
# DPDK's poll-mode drivers and dpdk-devbind.py ([media] backend = "dpdk").
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "dpdk")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${dir}/conffiles ${dir}/postinst ${dir}/prerm ${dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
