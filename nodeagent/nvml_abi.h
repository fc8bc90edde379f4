/*
 * Our own declarations of the small part of the NVML ABI the agent uses.
 * No NVIDIA header is needed to build: libnvidia-ml.so.1 is opened with
 * dlopen at run time, so all we need are the types, constants and function
 * signatures, copied from nvml.h (NVIDIA/go-nvml gen/nvml/nvml.h, CUDA
 * 13.3; see ../shared/HEALTH.md section 2).  Names keep NVML's spelling so
 * they can be grepped against the real header.
 *
 * Layouts are checked with static assertions below; a mistake here would
 * silently corrupt memory inside the driver library.  The test stub
 * (tests/stub/nvml_stub.c) includes this header too, so the assertions
 * are what guards both sides.
 */
#ifndef NODEAGENT_NVML_ABI_H
#define NODEAGENT_NVML_ABI_H

#include <stddef.h>

/* Opaque handles owned by the library. */
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct nvmlEventSet_st *nvmlEventSet_t;

/* nvmlReturn_t: an enum in nvml.h, i.e. an int in the SysV ABI. */
typedef enum nvmlReturn_enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_ALREADY_INITIALIZED = 5,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_INSUFFICIENT_POWER = 8,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_TIMEOUT = 10,
	NVML_ERROR_IRQ_ISSUE = 11,
	NVML_ERROR_LIBRARY_NOT_FOUND = 12,
	NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	NVML_ERROR_CORRUPTED_INFOROM = 14,
	NVML_ERROR_GPU_IS_LOST = 15,
	NVML_ERROR_RESET_REQUIRED = 16,
	NVML_ERROR_OPERATING_SYSTEM = 17,
	NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
	NVML_ERROR_IN_USE = 19,
	NVML_ERROR_MEMORY = 20,
	NVML_ERROR_NO_DATA = 21,
	NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
	NVML_ERROR_UNKNOWN = 999,
} nvmlReturn_t;

/* Buffer sizes the API expects (the _V2 sizes where there are two). */
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_SERIAL_BUFFER_SIZE 30
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16

/*
 * nvmlPciInfo_t as taken by GetPciInfo_v3 (and _v2).  The plain v1 call
 * writes an older, shorter layout ({char busId[16]; domain, bus, device,
 * pciDeviceId, pciSubSystemId; 4 reserved}) whose numeric fields sit at
 * the same offsets, which is why the agent formats the bus id from
 * domain/bus/device when it had to fall back to v1.
 */
typedef struct nvmlPciInfo_st {
	char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
	unsigned int domain;
	unsigned int bus;
	unsigned int device;
	unsigned int pciDeviceId;
	unsigned int pciSubSystemId;
	char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
} nvmlPciInfo_t;

/* nvmlMemory_t (v1): bytes. */
typedef struct nvmlMemory_st {
	unsigned long long total;
	unsigned long long free;
	unsigned long long used;
} nvmlMemory_t;

/*
 * nvmlEventData_t as filled by EventSetWait_v2.  The v1 call fills only the
 * first three members.  eventData is the XID number for XidCriticalError
 * events (999 = unknown XID).
 */
typedef struct nvmlEventData_st {
	nvmlDevice_t device;
	unsigned long long eventType;
	unsigned long long eventData;
	unsigned int gpuInstanceId;
	unsigned int computeInstanceId;
} nvmlEventData_t;

typedef enum nvmlValueType_enum {
	NVML_VALUE_TYPE_DOUBLE = 0,
	NVML_VALUE_TYPE_UNSIGNED_INT = 1,
	NVML_VALUE_TYPE_UNSIGNED_LONG = 2,
	NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
	NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4,
	NVML_VALUE_TYPE_SIGNED_INT = 5,
	NVML_VALUE_TYPE_UNSIGNED_SHORT = 6,
} nvmlValueType_t;

typedef union nvmlValue_st {
	double dVal;
	int siVal;
	unsigned int uiVal;
	unsigned long ulVal;
	unsigned long long ullVal;
	signed long long sllVal;
	unsigned short usVal;
} nvmlValue_t;

/* One entry of a GetFieldValues batch; check nvmlReturn per entry. */
typedef struct nvmlFieldValue_st {
	unsigned int fieldId;
	unsigned int scopeId; /* the NVLink for per-link fields */
	long long timestamp;
	long long latencyUsec;
	nvmlValueType_t valueType;
	nvmlReturn_t nvmlReturn;
	nvmlValue_t value;
} nvmlFieldValue_t;

/* Event type masks (nvmlEventType*).  Bits above 0x80 are recent: always
 * AND the wanted mask with GetSupportedEventTypes. */
#define nvmlEventTypeSingleBitEccError 0x0000000000000001ULL
#define nvmlEventTypeDoubleBitEccError 0x0000000000000002ULL
#define nvmlEventTypePState 0x0000000000000004ULL
#define nvmlEventTypeXidCriticalError 0x0000000000000008ULL
#define nvmlEventTypeClock 0x0000000000000010ULL
#define nvmlEventTypePowerSourceChange 0x0000000000000080ULL
#define nvmlEventTypeSingleBitEccErrorStorm 0x0000000000000200ULL
#define nvmlEventTypeDramRetirementEvent 0x0000000000000400ULL
#define nvmlEventTypeDramRetirementFailure 0x0000000000000800ULL
#define nvmlEventTypeNonFatalPoisonError 0x0000000000001000ULL
#define nvmlEventTypeFatalPoisonError 0x0000000000002000ULL
#define nvmlEventTypeGpuUnavailableError 0x0000000000004000ULL
#define nvmlEventTypeGpuRecoveryAction 0x0000000000008000ULL

/* XID value NVML reports when it cannot tell which XID occurred. */
#define NVML_XID_UNKNOWN 999

/* Clock event (formerly "throttle") reason bits. */
#define nvmlClocksEventReasonGpuIdle 0x1ULL
#define nvmlClocksEventReasonApplicationsClocksSetting 0x2ULL
#define nvmlClocksEventReasonSwPowerCap 0x4ULL
#define nvmlClocksEventReasonHwSlowdown 0x8ULL
#define nvmlClocksEventReasonSyncBoost 0x10ULL
#define nvmlClocksEventReasonSwThermalSlowdown 0x20ULL
#define nvmlClocksEventReasonHwThermalSlowdown 0x40ULL
#define nvmlClocksEventReasonHwPowerBrakeSlowdown 0x80ULL
#define nvmlClocksEventReasonDisplayClockSetting 0x100ULL

/* Field ids (NVML_FI_DEV_*) we read with GetFieldValues. */
#define NVML_FI_DEV_ECC_DBE_VOL_TOTAL 4
#define NVML_FI_DEV_NVLINK_LINK_COUNT 91
#define NVML_FI_DEV_PCIE_REPLAY_COUNTER 94
#define NVML_FI_DEV_REMAPPED_COR 142
#define NVML_FI_DEV_REMAPPED_UNC 143
#define NVML_FI_DEV_REMAPPED_PENDING 144
#define NVML_FI_DEV_REMAPPED_FAILURE 145
#define NVML_FI_DEV_NVLINK_ERROR_DL_REPLAY 161
#define NVML_FI_DEV_NVLINK_ERROR_DL_RECOVERY 162
#define NVML_FI_DEV_NVLINK_ERROR_DL_CRC 163
#define NVML_FI_DEV_NVLINK_GET_STATE 165
#define NVML_FI_DEV_GET_GPU_RECOVERY_ACTION 230

/* Enum arguments, as ints. */
#define NVML_TEMPERATURE_GPU 0
#define NVML_TEMPERATURE_THRESHOLD_SHUTDOWN 0
#define NVML_TEMPERATURE_THRESHOLD_SLOWDOWN 1
#define NVML_MEMORY_ERROR_TYPE_CORRECTED 0
#define NVML_MEMORY_ERROR_TYPE_UNCORRECTED 1
#define NVML_VOLATILE_ECC 0
#define NVML_AGGREGATE_ECC 1
#define NVML_CLOCK_SM 1
#define NVML_FEATURE_DISABLED 0
#define NVML_FEATURE_ENABLED 1
#define NVML_NVLINK_ERROR_DL_REPLAY 0
#define NVML_NVLINK_ERROR_DL_RECOVERY 1
#define NVML_NVLINK_ERROR_DL_CRC_FLIT 2
#define NVML_NVLINK_ERROR_DL_CRC_DATA 3

/*
 * Function-pointer types, one per symbol we resolve.  Versioned and plain
 * names of the same call share a type: the signatures are identical, only
 * the structures behind the pointers grew (see nvmlPciInfo_t and
 * nvmlEventData_t above).
 */
typedef nvmlReturn_t (*nvmlInit_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef const char *(*nvmlErrorString_fn)(nvmlReturn_t result);
typedef nvmlReturn_t (*nvmlSystemGetDriverVersion_fn)(char *version,
						      unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetCount_fn)(unsigned int *count);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_fn)(unsigned int index,
						      nvmlDevice_t *device);
typedef nvmlReturn_t (*nvmlDeviceGetUUID_fn)(nvmlDevice_t device, char *uuid,
					     unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetName_fn)(nvmlDevice_t device, char *name,
					     unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetSerial_fn)(nvmlDevice_t device,
					       char *serial,
					       unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetPciInfo_fn)(nvmlDevice_t device,
						nvmlPciInfo_t *pci);
typedef nvmlReturn_t (*nvmlDeviceGetMinorNumber_fn)(nvmlDevice_t device,
						    unsigned int *minor);
typedef nvmlReturn_t (*nvmlDeviceGetMemoryInfo_fn)(nvmlDevice_t device,
						   nvmlMemory_t *memory);
typedef nvmlReturn_t (*nvmlDeviceGetNumaNodeId_fn)(nvmlDevice_t device,
						   unsigned int *node);
typedef nvmlReturn_t (*nvmlDeviceGetTemperature_fn)(nvmlDevice_t device,
						    int sensor,
						    unsigned int *temp);
typedef nvmlReturn_t (*nvmlDeviceGetTemperatureThreshold_fn)(
	nvmlDevice_t device, int threshold, unsigned int *temp);
typedef nvmlReturn_t (*nvmlDeviceGetPowerUsage_fn)(nvmlDevice_t device,
						   unsigned int *mw);
typedef nvmlReturn_t (*nvmlDeviceGetEnforcedPowerLimit_fn)(nvmlDevice_t device,
							   unsigned int *mw);
typedef nvmlReturn_t (*nvmlDeviceGetTotalEccErrors_fn)(
	nvmlDevice_t device, int error_type, int counter_type,
	unsigned long long *count);
typedef nvmlReturn_t (*nvmlDeviceGetRemappedRows_fn)(nvmlDevice_t device,
						     unsigned int *corr,
						     unsigned int *unc,
						     unsigned int *pending,
						     unsigned int *failure);
typedef nvmlReturn_t (*nvmlDeviceGetPcieReplayCounter_fn)(nvmlDevice_t device,
							  unsigned int *value);
/* Curr/Max PCIe link generation and width share this shape. */
typedef nvmlReturn_t (*nvmlDeviceGetPcieLink_fn)(nvmlDevice_t device,
						 unsigned int *value);
typedef nvmlReturn_t (*nvmlDeviceGetCurrentClocksEventReasons_fn)(
	nvmlDevice_t device, unsigned long long *reasons);
typedef nvmlReturn_t (*nvmlDeviceGetFieldValues_fn)(nvmlDevice_t device,
						    int count,
						    nvmlFieldValue_t *values);
typedef nvmlReturn_t (*nvmlDeviceGetNvLinkState_fn)(nvmlDevice_t device,
						    unsigned int link,
						    int *is_active);
typedef nvmlReturn_t (*nvmlDeviceGetNvLinkErrorCounter_fn)(
	nvmlDevice_t device, unsigned int link, int counter,
	unsigned long long *value);
/* GetClockInfo and GetMaxClockInfo share this shape. */
typedef nvmlReturn_t (*nvmlDeviceGetClockInfo_fn)(nvmlDevice_t device, int type,
						  unsigned int *mhz);
/*
 * ComputeRunningProcesses: the agent only counts, passing *count = 0 and
 * infos = NULL, so the v1/v2 nvmlProcessInfo_t layouts never matter.
 */
typedef nvmlReturn_t (*nvmlDeviceGetComputeRunningProcesses_fn)(
	nvmlDevice_t device, unsigned int *count, void *infos);
typedef nvmlReturn_t (*nvmlEventSetCreate_fn)(nvmlEventSet_t *set);
typedef nvmlReturn_t (*nvmlDeviceGetSupportedEventTypes_fn)(
	nvmlDevice_t device, unsigned long long *types);
typedef nvmlReturn_t (*nvmlDeviceRegisterEvents_fn)(nvmlDevice_t device,
						    unsigned long long types,
						    nvmlEventSet_t set);
typedef nvmlReturn_t (*nvmlEventSetWait_fn)(nvmlEventSet_t set,
					    nvmlEventData_t *data,
					    unsigned int timeout_ms);
typedef nvmlReturn_t (*nvmlEventSetFree_fn)(nvmlEventSet_t set);

/*
 * Layout checks for LP64 (x86_64, aarch64), the only ABIs NVIDIA ships
 * the datacentre driver for.
 */
#if defined(__LP64__)
_Static_assert(sizeof(nvmlReturn_t) == 4, "nvmlReturn_t is an int");
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t size");
_Static_assert(offsetof(nvmlPciInfo_t, domain) == 16, "pci domain");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "pci busId");
_Static_assert(sizeof(nvmlEventData_t) == 32, "nvmlEventData_t size");
_Static_assert(offsetof(nvmlEventData_t, eventData) == 16, "eventData");
_Static_assert(sizeof(nvmlValue_t) == 8, "nvmlValue_t size");
_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t size");
_Static_assert(offsetof(nvmlFieldValue_t, valueType) == 24, "valueType");
_Static_assert(offsetof(nvmlFieldValue_t, value) == 32, "value");
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t size");
#endif

#endif
