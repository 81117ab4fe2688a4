// rigctl's usage text.
#pragma once

namespace rollrig::host::rigctl {

inline constexpr char kUsage[] =
    "usage: rigctl [--addr HOST:PORT] [--force] COMMAND [OPTIONS]\n"
    "\n"
    "the rig:\n"
    "  status [--json]                       device info, state, faults, interlocks, control\n"
    "  jog [--roller-rpm R] [--head-deg D] [--preload-n F] [--head-rate DPS]\n"
    "                                        set setpoints; they stay in force after rigctl\n"
    "                                        exits, until changed, stopped or e-stopped\n"
    "  watch --duration D [--rate HZ] [--format table|csv]\n"
    "                                        live telemetry, each row the mean over 1/HZ\n"
    "  stop                                  stop the active run, or the jog: ramp down\n"
    "  estop [--reason TEXT]                 emergency stop (latched until clear); anyone\n"
    "  clear                                 clear latched faults and e-stop\n"
    "profiles and runs:\n"
    "  validate FILE|PRESET [--json]         check a profile against the device\n"
    "  presets                               the profiles rigd ships\n"
    "  run FILE|PRESET [--cycles N | --duration D] [--dut SERIAL] [--operator NAME]\n"
    "      [--notes TEXT] [--detach] [--json]\n"
    "  run --resume ID                       continue an interrupted run\n"
    "                                        follows the run; Ctrl-C stops it (ramp-down)\n"
    "                                        unless --detach; ends with a 'verdict:' line\n"
    "  attach [ID]                           follow a run again (Ctrl-C only detaches)\n"
    "  pause [ID] | resume [ID]              pause (motors held safely) or resume a run\n"
    "  runs [--json] | runs show ID [--json] list runs, or one with its verdict and cycles\n"
    "  events [--follow] [--json]            recent events; --follow keeps printing\n"
    "  fault inject NAME | fault clear [NAME]\n"
    "                                        simulator only: stall, over-temperature,\n"
    "                                        encoder-loss, load-cell-saturation,\n"
    "                                        estop-button, door-open\n"
    "  recover FILE.mcap.part                finalize a recording cut short (crash, power cut)\n"
    "                                        by hand; prints what it kept and dropped\n"
    "  export FILE|RUN_ID [--format csv] [--from T] [--to T] [--cycles] [--out FILE]\n"
    "                                        samples (or --cycles: per-cycle statistics) as\n"
    "                                        CSV; T in seconds from the run's start; a RUN_ID\n"
    "                                        is downloaded from rigd\n"
    "\n"
    "--addr defaults to 127.0.0.1:50051. rigctl takes the control lease by itself for\n"
    "commands that move the rig; --force takes it from another holder. Durations are\n"
    "seconds or a number with s, m, h or d.\n"
    "Exit status: 0 ok (run: PASS), 1 refused (run: FAIL), 2 run MARGINAL, 3 run ABORTED\n"
    "or FAULTED, 4 usage error, rigd not reachable or control held by another.\n";

}  // namespace rollrig::host::rigctl
